package link

import (
	"crypto/tls"
	"crypto/x509"
	"reflect"
	"unsafe"
)

// A tls.Conn keeps the peer's parsed certificate (and, through its Raw
// fields, the handshake message it came in) for as long as the connection
// lives: about 2.5 KiB per link, a fifth of an idle link's heap. A link
// needs only the certificate's fingerprint, taken in tlsEstablished, so the
// parsed form is dropped there. crypto/tls offers no way to do that, so
// dropPeerCertificates clears the field itself, after checking that the
// field is there with the type expected; with any other crypto/tls it does
// nothing and the link merely costs the 2.5 KiB. Nothing reads the field
// after the handshake but ConnectionState, which link does not call again.

// peerCertsOffset is where tls.Conn keeps the parsed peer certificates, and
// whether it was found.
var peerCertsOffset, peerCertsFound = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[tls.Conn]().FieldByName("peerCertificates")
	if !ok || f.Type != reflect.TypeFor[[]*x509.Certificate]() {
		return 0, false
	}
	return f.Offset, true
}()

// dropPeerCertificates lets the garbage collector have c's parsed peer
// certificate. Call it once the handshake is complete and the fingerprint
// taken, before any other goroutine uses c.
func dropPeerCertificates(c *tls.Conn) {
	if !peerCertsFound {
		return
	}
	p := (*[]*x509.Certificate)(unsafe.Add(unsafe.Pointer(c), peerCertsOffset))
	*p = nil
}
