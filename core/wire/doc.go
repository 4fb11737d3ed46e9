// Package wire owns Lanyard's wire format: the connection preamble, the
// frame layout, the message types (generated from pb/lanyard.proto), protocol
// versions and the close codes both ends use to explain a failure.
//
// It performs no I/O of its own beyond reading from an io.Reader and writing
// to an io.Writer; sockets, TLS and timing live in core/link.
//
// A connection, inside TLS when SSL is on, is the 4-byte Magic followed by
// frames:
//
//	[uint32 length][uint8 kind][uint64 id][payload]
//
// length counts the bytes after itself (kind, id and payload), big-endian.
// Before authentication a frame may be at most MaxPreAuthFrame bytes; after
// it, MaxFrame. A stream answers a request with chunk frames of at most
// MaxChunk payload bytes before the response; the requester sends a credit
// frame for each chunk it has consumed, and the answerer never has more
// than StreamWindow chunks unconsumed.
package wire
