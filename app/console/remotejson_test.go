package console

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
)

// lanyard status says how the slave's backups stand, in words and in
// JSON, as the window's Overview does.
func TestStatusSaysHowTheBackupsStand(t *testing.T) {
	rep := master.StatusReport{Slave: master.SlaveView{Name: "FS01", State: master.StateConnected,
		Backup: health.Summary{Counts: health.Counts{OK: 2, Failed: 1}, Damaged: 1}}}
	st := statusOf(rep)
	if b := st.Backups; b.OK != 2 || b.Failed != 1 || b.Damaged != 1 || b.Line != "2 ok · 1 failed · 1 task with damaged copies" {
		t.Errorf("backups %+v", b)
	}
	var out bytes.Buffer
	printStatus(&out, st)
	if !strings.Contains(out.String(), "Backups:     2 ok · 1 failed · 1 task with damaged copies\n") {
		t.Errorf("status:\n%s", out.String())
	}
}
