// Package agent is the slave's side of Lanyard: its settings (name, key,
// listen address, SSL, whether it accepts management at all), the consoles
// it dials, the listener consoles dial, and the handlers that answer a
// console's requests.
//
// It has no GUI and no cgo: it runs inside the headless lanyard-agent
// service.
package agent
