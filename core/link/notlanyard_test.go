package link

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/freeport"
)

// A dial answered by another program (the port of a web or SSH server
// given by mistake) says so in either SSL setting, quoting the first line
// of the answer and naming the program when it tells; a person must mend
// the address, and another address of the peer may be the right one.
func TestADialAnsweredByAnotherProgramNamesIt(t *testing.T) {
	web := freeport.StartReplying(t, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n400 Bad Request")
	page := freeport.StartReplying(t, "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head><title>Error response</title></head>\n") // no status line, as to HTTP/0.9
	ssh := freeport.StartGreeting(t, "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
	odd := freeport.StartGreeting(t, "\x01\x02\x03\x04\x05 and on\n")
	cases := []struct {
		name, addr, said string
	}{
		{"a web server", web.Addr(), `a web server answered ("HTTP/1.1 400 Bad Request")`},
		{"a web server's page", page.Addr(), `a web server answered ("<!DOCTYPE HTML>")`},
		{"an SSH server", ssh.Addr(), `an SSH server answered ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13")`},
		{"a program it cannot name", odd.Addr(), `it answered "\x01\x02\x03\x04\x05 and on"`},
	}
	for _, ssl := range []bool{true, false} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s, SSL %s", tc.name, sslWord(ssl)), func(t *testing.T) {
				d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: ssl}}
				_, err := d.Dial(context.Background(), Target{Address: tc.addr, Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
				e := wantCode(t, err, wire.CodeNotLanyard)
				want := tc.addr + " is not a Lanyard agent: " + tc.said + "; check the address and port"
				if e.Reason != want {
					t.Errorf("reason %q,\nwant   %q", e.Reason, want)
				}
				if !e.Code.NeedsPerson() || !IsAddressFailure(e.Code) {
					t.Error("another program at the address needs a person, and sends the dialer on to the next address")
				}
				if got := Brief(err); got != "another program answers there, not Lanyard" {
					t.Errorf("Brief = %q", got)
				}
			})
		}
	}

	// diagnose stops at the hello and says to check the port.
	steps, ok := diagnose(t, DiagnoseOptions{Address: web.Addr(), Options: Options{SSL: true}})
	if ok || failed(steps) != "hello" {
		t.Fatalf("diagnose: ok=%v, failed at %q: %+v", ok, failed(steps), steps)
	}
	last := steps[len(steps)-1]
	if !strings.Contains(last.Detail, "a web server answered") || !strings.Contains(last.Fix, "another program listens on this port") {
		t.Errorf("diagnose's last step %+v, want the web server named and the port to check", last)
	}
	for _, s := range steps {
		if s.Name == "SSL" {
			t.Errorf("diagnose reported SSL (%+v): with another program there, SSL cannot be told", s)
		}
	}
}
