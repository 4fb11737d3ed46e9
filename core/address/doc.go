// Package address reads the network addresses people type: an address to
// dial (a console's master, an outbound slave) and an address to listen on,
// and a port number. Every command line, dialog and setting in Lanyard reads
// them here, so that they accept and refuse the same forms with the same
// words. Nothing here resolves a name or touches the network.
package address
