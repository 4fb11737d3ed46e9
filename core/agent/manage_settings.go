package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Settings over the link: the same setters the agent's command line uses
// (runtime.go), with the same validation and words. A change that ends
// the asking console's own link (SSL, management off, removing that
// console from the masters) is answered first; the link closes after.

func (a *Agent) handleSettingsGet(_ context.Context, l *link.Link, _ []byte) (proto.Message, error) {
	return a.settingsFor(l), nil
}

// settingsFor is the agent's settings as the console on l sees them.
func (a *Agent) settingsFor(l *link.Link) *pb.AgentSettings {
	st := a.Snapshot()
	out := &pb.AgentSettings{Name: st.Name, Listen: st.Listen, ListenAddr: st.ListenAddr, ListenError: st.ListenError,
		Ssl: st.SSL, Management: st.Management}
	for _, m := range st.Masters {
		out.Masters = append(out.Masters, &pb.MasterInfo{Address: m.Address, State: string(m.State),
			SinceUnixNano: nanos(m.Since), Remote: m.Remote, LastError: m.LastError})
	}
	a.mu.Lock()
	for c, mr := range a.links {
		p := c.Peer()
		ci := &pb.ConsoleInfo{Remote: p.Remote, Ssl: p.SSL, Software: p.Software,
			SinceUnixNano: c.Since().UnixNano(), You: c == l, RttMs: human.Millis(c.RTT())}
		if mr != nil {
			ci.Master = mr.spec()
		}
		out.Consoles = append(out.Consoles, ci)
	}
	a.mu.Unlock()
	slices.SortFunc(out.Consoles, func(x, y *pb.ConsoleInfo) int { // the oldest link first, as the agent's status lists them
		return cmp.Or(cmp.Compare(x.SinceUnixNano, y.SinceUnixNano), cmp.Compare(x.Remote, y.Remote))
	})
	return out
}

// cut is how the asking console's link ends after a change, if it does.
type cut struct {
	code   wire.Code
	reason string
}

func (a *Agent) handleSettingsSet(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.SettingsSetRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	var changes []string
	var ends *cut
	step := func(c []string, err error) error {
		changes = append(changes, c...)
		return err
	}
	err := func() error {
		if req.Listen != nil {
			if err := step(a.SetListen(req.GetListen())); err != nil {
				return err
			}
		}
		for _, m := range req.MastersAdd {
			if err := step(a.AddMaster(m)); err != nil {
				return err
			}
		}
		for _, m := range req.MastersRemove {
			mine := a.isMasterLink(m, l)
			if err := step(a.dropMaster(m, l)); err != nil {
				return err
			}
			if mine {
				ends = &cut{wire.CodeRemoved, removedReason}
			}
		}
		if req.Ssl != nil {
			c, err := a.changeSSL(req.GetSsl(), l)
			if err := step(c, err); err != nil {
				return err
			}
			if len(c) > 0 {
				ends = &cut{wire.CodeNormal, "the agent's SSL setting changed"}
			}
		}
		if req.Management != nil {
			c, err := a.changeManagement(req.GetManagement(), l)
			if err := step(c, err); err != nil {
				return err
			}
			if !req.GetManagement() && len(c) > 0 {
				ends = &cut{wire.CodeManagementDisabled, managementOffReason}
			}
		}
		return nil
	}()
	if ends != nil {
		link.AfterResponse(ctx, func() { l.CloseWith(&link.Error{Code: ends.code, Reason: ends.reason}) })
	}
	if len(req.MastersAdd) > 0 || len(req.MastersRemove) > 0 {
		a.statusChanged()
	}
	if err != nil {
		if len(changes) > 0 {
			err = fmt.Errorf("%w (already done: %s)", err, strings.Join(changes, "; "))
		}
		return nil, settingsError(err)
	}
	if changes == nil {
		changes = []string{}
	}
	return &pb.SettingsSetResponse{Changes: changes, Settings: a.settingsFor(l)}, nil
}

// isMasterLink reports whether l is the link the agent made to the master
// at addr (any of its addresses).
func (a *Agent) isMasterLink(addr string, l *link.Link) bool {
	addrs, err := parseMasterAddrs(addr)
	if err != nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	mr := a.masterWithLocked(addrs[0])
	return mr != nil && mr.link == l
}

// settingsError keeps a mistake in the request apart from a failure of the
// agent.
func settingsError(err error) error {
	if IsUsage(err) {
		return &link.RequestError{Code: wire.ErrBadRequest, Message: err.Error()}
	}
	return err
}

// errPasswordNeedsSSL refuses a password change over a plain link.
var errPasswordNeedsSSL = errors.New("a password change needs SSL on this link: without it the new key could be read on the network. Turn SSL on at both ends first, or run `lanyard-agent password set` on the server")

func (a *Agent) handlePasswordSet(_ context.Context, l *link.Link, body []byte) (proto.Message, error) {
	if !l.Peer().SSL {
		return nil, &link.RequestError{Code: wire.ErrBadRequest, Message: errPasswordNeedsSSL.Error()}
	}
	var req pb.PasswordSetRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	defer clear(req.Key)
	var key auth.Key
	if len(req.Key) != len(key) {
		return nil, badRequest("the new key has %d bytes, not %d", len(req.Key), len(key))
	}
	copy(key[:], req.Key)
	defer clear(key[:])
	changes, err := a.changeKey(key, auth.KDFFromPB(req.Kdf), l)
	if err != nil {
		return nil, err
	}
	return &pb.PasswordSetResponse{Changes: changes}, nil
}
