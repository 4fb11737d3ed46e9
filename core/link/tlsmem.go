package link

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"reflect"
	"unsafe"
)

// What a tls.Conn keeps after its handshake that an idle link does not
// need. crypto/tls offers no way to let these go, so the functions below
// clear the fields themselves, each after checking that the field is there
// with the type expected; with any other crypto/tls they do nothing and a
// link merely costs what a bare connection does.
//
//   - The peer's parsed certificate (and, through its Raw fields, the
//     handshake message it came in): about 2.5 KiB. A link needs only the
//     certificate's fingerprint, taken in tlsEstablished, so the parsed form
//     is dropped there. Nothing reads the field after the handshake but
//     ConnectionState, which link does not call again.
//   - The handshake's buffers: the record buffer (rawInput) and the
//     handshake-message buffer (hand) both grew to hold the ClientHello and
//     keep that size, about 4 KiB together, while an idle link reads records
//     of a few dozen bytes. Once the handshake and the authentication are
//     over and nothing is left unread in them, they are replaced by empty
//     ones: the next record read grows rawInput to about 0.5 KiB, and hand
//     only grows again for a post-handshake message (a key update).

// fieldOffset is where tls.Conn keeps the field called name, and whether it
// is there with type T.
func fieldOffset[T any](name string) (uintptr, bool) {
	f, ok := reflect.TypeFor[tls.Conn]().FieldByName(name)
	if !ok || f.Type != reflect.TypeFor[T]() {
		return 0, false
	}
	return f.Offset, true
}

var (
	peerCertsOffset, peerCertsFound = fieldOffset[[]*x509.Certificate]("peerCertificates")
	rawInputOffset, rawInputFound   = fieldOffset[bytes.Buffer]("rawInput")
	handOffset, handFound           = fieldOffset[bytes.Buffer]("hand")
	inputOffset, inputFound         = fieldOffset[bytes.Reader]("input")
)

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

// releaseHandshakeBuffers lets the garbage collector have the buffers c's
// handshake grew, when nothing is waiting unread in them. Call it when the
// handshake and the authentication are over, before the link's reader
// starts: no other goroutine may use c meanwhile. It reports whether it
// released them.
func releaseHandshakeBuffers(c *tls.Conn) bool {
	if !rawInputFound || !handFound || !inputFound {
		return false
	}
	rawInput := (*bytes.Buffer)(unsafe.Add(unsafe.Pointer(c), rawInputOffset))
	hand := (*bytes.Buffer)(unsafe.Add(unsafe.Pointer(c), handOffset))
	input := (*bytes.Reader)(unsafe.Add(unsafe.Pointer(c), inputOffset))
	if rawInput.Len() != 0 || hand.Len() != 0 || input.Len() != 0 {
		return false // a record that arrived with the last one: keep it
	}
	*rawInput, *hand, *input = bytes.Buffer{}, bytes.Buffer{}, bytes.Reader{}
	return true
}
