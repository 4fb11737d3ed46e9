package link

import (
	"context"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// What a peer says, and what it asks for, before and after authentication.

// fakeAcceptor answers every connection with Lanyard's magic and the given
// close frame, as anyone at an address could.
func fakeAcceptor(t *testing.T, cl *pb.Close) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	payload, _ := proto.Marshal(cl)
	reply := append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindClose, Payload: payload})...)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write(reply)
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

func TestAForgedRetryAfterCannotSilenceADialer(t *testing.T) {
	const forged = math.MaxUint32 // about 49 days, the most the wire can say
	t.Run("before authentication it is capped at the backoff maximum", func(t *testing.T) {
		for _, ssl := range []bool{false, true} {
			addr := fakeAcceptor(t, &pb.Close{Code: string(wire.CodeRateLimited), Reason: "go away", RetryAfterMs: forged})
			d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT), Options: Options{SSL: ssl}}
			ctx, cancel := context.WithCancel(context.Background())
			waits := make(chan time.Duration, 1)
			r := &Redialer{
				Dial:   d.Dial,
				Target: func() (Target, bool) { return Target{Address: addr, Name: "FS01", KDF: testKDF}, true },
				OnLink: func(l *Link) bool { closeLink(l); return false },
				OnFailure: func(err error, retryIn time.Duration) {
					if CodeOf(err) != wire.CodeRateLimited {
						t.Errorf("ssl=%v: failure %v, want rate_limited", ssl, err)
					}
					waits <- retryIn
					cancel()
				},
			}
			r.Run(ctx)
			if w := <-waits; w > MaxRetryAfterBeforeAuth || w > time.Minute {
				t.Errorf("ssl=%v: the next try waits %s; want at most 60s", ssl, w)
			}
		}
	})
	t.Run("after authentication it is capped at ten minutes", func(t *testing.T) {
		srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
			&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
		d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
		ctx, cancel := context.WithCancel(context.Background())
		waits := make(chan time.Duration, 1)
		r := &Redialer{
			Dial: d.Dial,
			Target: func() (Target, bool) {
				return Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF}, true
			},
			OnLink: func(l *Link) bool {
				l.Start(newRecorder("console"), nil)
				a := srv.nextLink(t)
				a.Start(newRecorder("FS01"), nil)
				a.CloseWith(&Error{Code: wire.CodeShuttingDown, Reason: "bye", RetryAfter: forged * time.Millisecond})
				return true
			},
			OnLinkEnd: func(err error, retryIn time.Duration) { waits <- retryIn; cancel() },
		}
		r.Run(ctx)
		if w := <-waits; w > MaxRetryAfterLinked || w > 10*time.Minute {
			t.Errorf("the next try waits %s; want at most 10 minutes", w)
		}
	})
}

func TestPeerWordsAreQuotedAndCutNeverTakenForOurOwn(t *testing.T) {
	cases := []struct {
		name     string
		close    *pb.Close
		wantCode wire.Code
		want     []string
	}{
		{"a known code's reason is quoted",
			&pb.Close{Code: string(wire.CodeDuplicateLink), Reason: "already linked\n2026-01-01 INFO connected"},
			wire.CodeDuplicateLink, []string{`saying "already linked\n2026-01-01 INFO connected"`}},
		{"an unknown code is the peer's word, not ours",
			&pb.Close{Code: "connected", Reason: "all is well"},
			wire.CodeProtocolError, []string{`a code this version does not know ("connected")`, `"all is well"`}},
		{"a long reason is cut",
			&pb.Close{Code: string(wire.CodeUnknownSlave), Reason: strings.Repeat("x", 3000)},
			wire.CodeUnknownSlave, []string{`"` + strings.Repeat("x", wire.MaxQuoted) + `"…`}},
		{"rate_limited says what the peer says the cause is",
			&pb.Close{Code: string(wire.CodeRateLimited), Reason: "too many failed attempts from 10.1.2.3; retry in 6s", RetryAfterMs: 6000},
			wire.CodeRateLimited, []string{`"too many failed attempts from 10.1.2.3; retry in 6s"`, "at least 6s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeAcceptor(t, tc.close)
			d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT)}
			_, err := d.Dial(context.Background(), Target{Address: addr, Name: "FS01", KDF: testKDF})
			e := wantCode(t, err, tc.wantCode)
			for _, w := range tc.want {
				if !strings.Contains(e.Reason, w) {
					t.Errorf("reason %q lacks %q", e.Reason, w)
				}
			}
			if strings.ContainsAny(e.Reason, "\n\r") || len(e.Reason) > 400 {
				t.Errorf("reason %q carries the peer's raw words", e.Reason)
			}
		})
	}
}

func TestRequestsInFlightAreBoundedAndExtrasAreTurnedAwayBusy(t *testing.T) {
	console, agentSide := dialedPair(t, Options{MaxInFlight: 2})
	h := &blocker{recorder: newRecorder("FS01"), entered: make(chan struct{}, 4)}
	agentSide.Start(h, nil)
	console.Start(newRecorder("console"), nil)
	defer closeLink(console)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { _ = console.Request(ctx, "block", nil, nil) })
		<-h.entered
	}
	err := console.Request(context.Background(), wire.MethodStatus, nil, &pb.StatusResponse{})
	if re, ok := err.(*RequestError); !ok || re.Code != wire.ErrBusy {
		t.Fatalf("a third request while two are served: %v, want busy", err)
	}
	cancel()
	wg.Wait()
	// Once they are done, requests are served again.
	var st pb.StatusResponse
	for try := 0; ; try++ {
		err := console.Request(context.Background(), wire.MethodStatus, nil, &st)
		if re, ok := err.(*RequestError); ok && re.Code == wire.ErrBusy && try < 1000 {
			continue // the cancelled handlers are still returning
		}
		if err != nil {
			t.Fatal(err)
		}
		break
	}
}

// blocker is a recorder that says when a "block" request has started.
type blocker struct {
	*recorder
	entered chan struct{}
}

func (b *blocker) HandleRequest(ctx context.Context, l *Link, method string, body []byte) (proto.Message, error) {
	if method == "block" {
		b.entered <- struct{}{}
	}
	return b.recorder.HandleRequest(ctx, l, method, body)
}

func TestFingerprintsAreReadAsPeopleTypeThem(t *testing.T) {
	const fp = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, in := range []string{
		"SHA256:" + fp,
		"sha256:" + strings.ToUpper(fp),
		fp,
		"  SHA256:9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08 ",
	} {
		got, err := ParseFingerprint(in)
		if err != nil || got != fp {
			t.Errorf("ParseFingerprint(%q) = %q, %v; want %s", in, got, err, fp)
		}
	}
	for _, in := range []string{"", "SHA256:", "SHA256:" + fp[:63], "SHA256:" + fp + "00", "SHA256:" + strings.Repeat("zz", 32), "MD5:" + fp} {
		if got, err := ParseFingerprint(in); err == nil {
			t.Errorf("ParseFingerprint(%q) = %q, want an error", in, got)
		} else if !strings.Contains(err.Error(), "SHA256:") {
			t.Errorf("error %q does not say what to give", err)
		}
	}
	if got := FormatFingerprint(fp); got != "SHA256:"+fp {
		t.Errorf("FormatFingerprint = %q", got)
	}
}

// A link's reader, request handlers and heartbeats are counted in its
// owner's group until they return, so an owner's Close can wait for them.
func TestTheOwnersGroupWaitsForTheReaderAndEveryHandler(t *testing.T) {
	console, agentSide := dialedPair(t, Options{Heartbeat: 50 * time.Millisecond})
	var group, consoleGroup sync.WaitGroup
	release := make(chan struct{})
	h := &slowHandler{recorder: newRecorder("FS01"), entered: make(chan struct{}, 1), release: release}
	agentSide.Start(h, &group)
	console.Start(newRecorder("console"), &consoleGroup)
	go func() { _ = console.Request(context.Background(), "slow", nil, nil) }()
	<-h.entered

	agentSide.CloseWith(&Error{Code: wire.CodeShuttingDown, Reason: "owner closing"})
	joined := make(chan struct{})
	go func() { group.Wait(); close(joined) }()
	select {
	case <-joined:
		t.Fatal("the owner's group was done while a request handler still ran")
	case <-console.Done(): // the close reached the peer; the handler still runs
	}
	select {
	case <-joined:
		t.Fatal("the owner's group was done while a request handler still ran")
	default:
	}
	close(release)
	select {
	case <-joined:
	case <-time.After(5 * time.Second):
		t.Fatal("the owner's group never finished")
	}
	consoleGroup.Wait()
}

// slowHandler answers "slow" only when released, whatever its context says.
type slowHandler struct {
	*recorder
	entered chan struct{}
	release chan struct{}
}

func (s *slowHandler) HandleRequest(ctx context.Context, l *Link, method string, body []byte) (proto.Message, error) {
	if method != "slow" {
		return s.recorder.HandleRequest(ctx, l, method, body)
	}
	s.entered <- struct{}{}
	<-s.release
	return nil, ctx.Err()
}

// A request its handler answers at once takes no slot: it is answered on
// the reader, even while every slot is held; the rest still go to
// HandleRequest.
func TestARequestAnsweredAtOnceNeedsNoSlot(t *testing.T) {
	console, agentSide := dialedPair(t, Options{MaxInFlight: 1})
	h := &quick{blocker{recorder: newRecorder("FS01"), entered: make(chan struct{}, 4)}}
	agentSide.Start(h, nil)
	console.Start(newRecorder("console"), nil)
	defer closeLink(console)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	blocked := make(chan error, 1)
	go func() { blocked <- console.Request(ctx, "block", nil, nil) }()
	<-h.entered // the one slot is held
	var st pb.StatusResponse
	if err := console.Request(context.Background(), wire.MethodStatus, nil, &st); err != nil {
		t.Fatalf("a status answered at once while the slot is held: %v", err)
	}
	if st.Hostname != "at-once" {
		t.Errorf("status answered by %q, want the at-once answer", st.Hostname)
	}
	cancel()
	if err := <-blocked; err != context.Canceled {
		t.Errorf("the blocked request: %v, want cancelled", err)
	}
}

// quick answers status at once and leaves everything else.
type quick struct{ blocker }

func (q *quick) AnswerAtOnce(_ *Link, method string, _ []byte) (proto.Message, bool, error) {
	if method != wire.MethodStatus {
		return nil, false, nil
	}
	return &pb.StatusResponse{Hostname: "at-once"}, true, nil
}
