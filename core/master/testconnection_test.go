package master

import (
	"context"
	"testing"

	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

func TestDisconnectKeepsASlaveOfflineUntilConnect(t *testing.T) {
	c := startConsole(t, false, nil)
	a := startAgent(t, "FS01", "pw", false, true)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	if err := c.Disconnect("fs01"); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateDisabled)
	if e, _ := c.db.SlaveByName("FS01"); !e.Disabled {
		t.Error("disabled flag not saved")
	}
	if err := c.Connect("FS01"); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
}

func TestTestConnectionChecksWithoutSaving(t *testing.T) {
	c := startConsole(t, true, nil)
	a := startAgent(t, "FS01", "pw", true, true)
	run := func(spec SlaveSpec) (bool, []link.Step) {
		var steps []link.Step
		ok := c.TestConnection(context.Background(), spec, func(s link.Step) { steps = append(steps, s) })
		return ok, steps
	}
	if ok, steps := run(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw")}); !ok {
		t.Errorf("right values failed: %+v", steps)
	}
	ok, steps := run(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("nope")})
	if ok || steps[len(steps)-1].Name != "password" {
		t.Errorf("wrong password: ok=%v %+v", ok, steps)
	}
	if slaves := c.Slaves(); len(slaves) != 0 {
		t.Errorf("testing saved an entry: %+v", slaves)
	}
	ok, steps = run(SlaveSpec{Name: "FS09", Direction: store.Inbound})
	if ok || steps[len(steps)-1].Name != "connection" {
		t.Errorf("inbound never seen: ok=%v %+v", ok, steps)
	}
}
