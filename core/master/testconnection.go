package master

import (
	"context"
	"fmt"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

// TestConnection checks the values a user entered, without saving them:
// name lookup, TCP, SSL, password and version for an outbound slave. For an
// inbound slave, which this console cannot dial, it reports whether a slave
// of that name has tried to connect and with what result. It reports each
// step as it finishes and returns whether all passed.
func (m *Master) TestConnection(ctx context.Context, spec SlaveSpec, report func(link.Step)) bool {
	if err := spec.validate(len(spec.Password) > 0); err != nil {
		report(link.Step{Name: "entry", Detail: err.Error(), Fix: "correct the entry"})
		return false
	}
	if spec.Direction == store.Inbound {
		return m.reportInbound(spec, report)
	}
	var target *link.Target
	stored, err := m.cfg.DB.SlaveByName(spec.Name)
	found := err == nil
	if len(spec.Password) > 0 {
		k, err := auth.DeriveKey(spec.Password, spec.Name, auth.DefaultKDF)
		if err != nil {
			report(link.Step{Name: "password", Detail: err.Error(), Fix: "enter the management password"})
			return false
		}
		target = &link.Target{Name: spec.Name, Key: k, KDF: auth.DefaultKDF}
	} else if found {
		// Editing without retyping the password: test with the stored key.
		target = &link.Target{Name: stored.Name, Key: entryKey(stored), KDF: authKDF(stored.KDF)}
	}
	// The certificate to expect: the one given, else the one pinned for
	// this entry while it points at the same address (as EditSlave keeps
	// it). A retyped password goes to nothing else.
	pin := spec.Fingerprint
	if pin == "" && found && stored.Address == spec.Address {
		pin = stored.PinnedCert
	}
	return link.Diagnose(ctx, link.DiagnoseOptions{Address: spec.Address, Identity: m.cfg.Identity,
		Options: m.linkOptions(), Target: target, PinnedCert: pin, TrustFix: trustFix(spec.Name)}, report)
}

// trustFix is the console's command that trusts a slave's new certificate.
func trustFix(name string) string { return "lanyard slave trust " + name }

// reportInbound tells what the log knows about an inbound slave's tries.
func (m *Master) reportInbound(spec SlaveSpec, report func(link.Step)) bool {
	m.mu.Lock()
	listening := m.listener != nil
	addr := ""
	if listening {
		addr = m.listener.Addr().String()
	}
	m.mu.Unlock()
	if !listening {
		report(link.Step{Name: "listening", Detail: "this console is not listening for inbound slaves",
			Fix: "Settings → Remote Management Settings → Listen for incoming slave connections"})
		return false
	}
	report(link.Step{Name: "listening", OK: true, Detail: "listening on " + addr})
	if v, ok := m.Slave(spec.Name); ok && v.State == StateConnected {
		report(link.Step{Name: "connection", OK: true, Detail: fmt.Sprintf("%s is connected from %s", v.Name, v.Remote)})
		return true
	}
	last, err := m.cfg.DB.LastEvents(store.EventFilter{Slave: spec.Name}, 20)
	if err != nil {
		report(link.Step{Name: "connection", Detail: err.Error()})
		return false
	}
	for i := len(last) - 1; i >= 0; i-- {
		e := last[i]
		if e.Direction != string(store.Inbound) || e.Remote == "" {
			continue
		}
		ok := e.Kind == store.KindConnected
		step := link.Step{Name: "connection", OK: ok, Detail: fmt.Sprintf("last try from %s at %s: %s — %s",
			e.Remote, e.Time.Local().Format("2006-01-02 15:04:05"), e.Kind, e.Reason)}
		if !ok {
			step.Fix = "fix what the reason says on the agent, or here"
		}
		report(step)
		return ok
	}
	s := m.Settings()
	init := AgentInitLine(spec.Name, s.AgentAddresses(LANAddresses(addr)), s.SSL, m.Fingerprint())
	report(link.Step{Name: "connection", Detail: fmt.Sprintf("no slave named %s has tried to connect yet", spec.Name),
		Fix: "on the server: " + init + ", then lanyard-agent run", Command: init})
	return false
}
