package master

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

func readRows(t *testing.T, csv string) []slavefile.Row {
	t.Helper()
	rows, bad, err := slavefile.Read(strings.NewReader(csv), slavefile.CSV)
	if err != nil || len(bad) != 0 {
		t.Fatalf("the test file does not read: %v %v", err, bad)
	}
	return rows
}

func TestAnImportReportsEveryBadRowByItsLineAndAddsNothing(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	if _, err := db.AddSlave(store.Slave{Name: "HERE", Direction: store.Outbound, Address: "10.0.0.9:16888", Key: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, "name,direction,address,key,password,fingerprint\n"+
		"FS01,outbound,10.0.0.1:16888,"+testkit.ExportedKey(1)+",,\n"+ // 2 good
		"fs01,inbound,,"+testkit.ExportedKey(2)+",,\n"+ // 3 name twice in the file
		"here,inbound,,"+testkit.ExportedKey(3)+",,\n"+ // 4 name of a slave already here
		"FS04,outbound,10.0.0.9:16888,"+testkit.ExportedKey(4)+",,\n"+ // 5 address already here
		"FS05,outbound,not a host,"+testkit.ExportedKey(5)+",,\n"+ // 6 bad address
		"FS06,inbound,,lanyard-key-v1:argon2id:t=3:m=65536:p=4:AAAA,,\n"+ // 7 damaged key
		"FS07,inbound,,,,\n"+ // 8 neither
		"FS08,inbound,,"+testkit.ExportedKey(8)+",pw,\n"+ // 9 both
		"FS09,sideways,,"+testkit.ExportedKey(9)+",,\n"+ // 10 bad direction
		"FS10,inbound,10.0.0.3:1,"+testkit.ExportedKey(10)+",,\n"+ // 11 inbound with an address
		"FS11,inbound,,"+testkit.ExportedKey(11)+",,SHA256:nope\n"+ // 12 bad fingerprint
		"bad name!,inbound,,"+testkit.ExportedKey(12)+",,\n") // 13 bad name
	rep, err := ImportSlaves(context.Background(), db, rows, ImportOptions{})
	if !errors.Is(err, ErrBadRows) {
		t.Fatalf("ImportSlaves: %v, want ErrBadRows", err)
	}
	var lines []int
	for _, b := range rep.Bad {
		lines = append(lines, b.Line)
	}
	want := []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	if len(lines) != len(want) {
		t.Fatalf("bad lines %v, want %v: %v", lines, want, rep.Bad)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("bad lines %v, want %v: %v", lines, want, rep.Bad)
		}
	}
	// Each clash names what holds the name or address first, and what to do.
	for i, want := range []string{
		"line 3: the name fs01 is on line 2 too: give one of them another name",
		"line 4: a slave named HERE is here already: give this row another name, or leave it out",
		"line 5: slave HERE here already has the address 10.0.0.9:16888: one server needs one entry, so leave this row out",
	} {
		if got := rep.Bad[i].Error(); got != want {
			t.Errorf("clash %d says %q, want %q", i, got, want)
		}
	}
	if all, _ := db.Slaves(); len(all) != 1 || rep.Ready != 1 || len(rep.Added) != 0 {
		t.Errorf("%d slaves stored, %d ready, %d added; want nothing added while a row is bad", len(all), rep.Ready, len(rep.Added))
	}
	// With SkipBad the good row goes in.
	rep, err = ImportSlaves(context.Background(), db, rows, ImportOptions{SkipBad: true})
	if err != nil || len(rep.Added) != 1 || rep.Added[0].Name != "FS01" {
		t.Fatalf("SkipBad: added %+v, %v; want FS01", rep.Added, err)
	}
}

func TestPasswordsAreDerivedOnWorkersAndADryRunAddsNothing(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	rows := readRows(t, "name,password\nFS01,pw-one\nFS02,pw-two\nFS03,pw-three\n")
	var calls []int
	rep, err := ImportSlaves(context.Background(), db, rows, ImportOptions{DryRun: true, Workers: 2,
		Progress: func(done, total int) {
			if total != 3 {
				t.Errorf("progress total %d, want 3", total)
			}
			calls = append(calls, done)
		}})
	if err != nil || rep.Derived != 3 || rep.Ready != 3 || len(rep.Added) != 0 {
		t.Fatalf("dry run = %+v, %v; want 3 derived and ready, none added", rep, err)
	}
	if len(calls) != 3 || calls[2] != 3 {
		t.Errorf("progress calls %v, want three ending at 3", calls)
	}
	if all, _ := db.Slaves(); len(all) != 0 {
		t.Errorf("a dry run stored %d slaves", len(all))
	}
	rep, err = ImportSlaves(context.Background(), db, rows, ImportOptions{})
	if err != nil || len(rep.Added) != 3 {
		t.Fatalf("import = %+v, %v", rep, err)
	}
	want, _ := auth.DeriveKey([]byte("pw-two"), "FS02", auth.DefaultKDF)
	got, _ := db.SlaveByName("FS02")
	if !bytes.Equal(got.Key, want[:]) || got.Direction != store.Inbound {
		t.Errorf("FS02 was stored with another key or direction: %s", got.Direction)
	}
}

func TestASecondConsoleGetsTheWholeFleetFromAnExportWithKeys(t *testing.T) {
	first := testkit.Store(t, "console", store.Options{})
	rows := readRows(t, "name,direction,address,group,key,notes,fingerprint\n"+
		"FS01,outbound,10.0.0.1:16888,Acme,"+testkit.ExportedKey(1)+",rack 2,SHA256:"+strings.Repeat("ab", 32)+"\n"+
		"FS02,inbound,,Acme,"+testkit.ExportedKey(2)+",,\n")
	if _, err := ImportSlaves(context.Background(), first, rows, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	exported, inDoubt, err := ExportRows(first, true)
	if err != nil || inDoubt != nil {
		t.Fatal(err, inDoubt)
	}
	var buf bytes.Buffer
	if err := slavefile.Write(&buf, exported, slavefile.JSON); err != nil {
		t.Fatal(err)
	}
	again, bad, err := slavefile.Read(&buf, slavefile.JSON)
	if err != nil || len(bad) != 0 {
		t.Fatal(err, bad)
	}
	second := testkit.Store(t, "console", store.Options{})
	if _, err := ImportSlaves(context.Background(), second, again, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	a, _ := first.Slaves()
	b, _ := second.Slaves()
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Key, b[i].Key) || a[i].KDF != b[i].KDF || a[i].Address != b[i].Address ||
			a[i].Group != b[i].Group || a[i].Notes != b[i].Notes || a[i].PinnedCert != b[i].PinnedCert {
			t.Errorf("entry %d differs after export and import:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	// Without keys, no key leaves.
	plain, _, _ := ExportRows(first, false)
	for _, r := range plain {
		if r.Key != "" {
			t.Errorf("an export without keys has the key of %s", r.Name)
		}
	}
}

// An export with keys names the entries whose password change awaits the
// agent's answer: their row holds the key from before it.
func TestAnExportWithKeysNamesTheEntriesInDoubt(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	rows := readRows(t, "name,direction,key\nFS01,inbound,"+testkit.ExportedKey(1)+"\nFS02,inbound,"+testkit.ExportedKey(2)+"\n")
	if _, err := ImportSlaves(context.Background(), db, rows, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	e, err := db.SlaveByName("FS02")
	if err != nil {
		t.Fatal(err)
	}
	giveNextKey(t, db, e.ID, bytes.Repeat([]byte{9}, 32))
	exported, inDoubt, err := ExportRows(db, true)
	if err != nil || len(exported) != 2 || len(inDoubt) != 1 || inDoubt[0] != "FS02" {
		t.Fatalf("ExportRows: %d rows, in doubt %q, %v", len(exported), inDoubt, err)
	}
	if exported[1].Key != testkit.ExportedKey(2) {
		t.Errorf("FS02's row holds %q, not its key", exported[1].Key)
	}
	if w := InDoubtWarning(inDoubt); !strings.Contains(w, "FS02") || !strings.Contains(w, "Export again") {
		t.Errorf("the warning reads %q", w)
	}
	if _, inDoubt, _ := ExportRows(db, false); inDoubt != nil {
		t.Errorf("an export without keys names %q in doubt", inDoubt)
	}
}
