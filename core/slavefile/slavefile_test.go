package slavefile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/auth"
)

func sampleRows(t *testing.T) []Row {
	t.Helper()
	var k auth.Key
	for i := range k {
		k[i] = byte(i)
	}
	return []Row{
		{Name: "FS01", Direction: "outbound", Address: "10.0.0.4:16888", Group: "Acme, Inc.", Key: FormatKey(k, auth.DefaultKDF),
			Fingerprint: "SHA256:" + strings.Repeat("ab", 32), Notes: "rack 2\nshelf \"3\""},
		{Name: "FS02", Direction: "inbound", Key: FormatKey(k, auth.DefaultKDF)},
	}
}

func TestWhatIsWrittenReadsBackTheSame(t *testing.T) {
	for _, f := range []Format{CSV, JSON} {
		t.Run(string(f), func(t *testing.T) {
			rows := sampleRows(t)
			rows[0].Password = "never written"
			var buf bytes.Buffer
			if err := Write(&buf, rows, f); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "never written") {
				t.Fatalf("a password was written:\n%s", buf.String())
			}
			got, bad, err := Read(&buf, f)
			if err != nil || len(bad) != 0 {
				t.Fatalf("read: %v %v", err, bad)
			}
			want := sampleRows(t)
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range want {
				got[i].Line = 0
				if got[i] != want[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestEveryBadLineIsReportedWithItsNumberAndTheRestAreRead(t *testing.T) {
	tests := []struct {
		name     string
		format   Format
		file     string
		rows     int
		badLines []int
		why      string // the first bad line's error, when given
	}{
		{"a CSV line with too few fields", CSV, "name,address\nFS01,10.0.0.1:1\nFS02\nFS03,10.0.0.3:1\n", 2, []int{3}, "1 field, but the header names 2 columns"},
		{"a CSV line with a broken quote", CSV, "name,notes\nFS01,\"open\nFS02,x\n", 0, []int{2}, ""},
		{"spaces around the columns and a password column", CSV, "Name, Password\n FS01 , secret \n", 1, nil, ""},
		{"a JSON object with an unknown field", JSON, "[\n {\"name\": \"FS01\"},\n {\"name\": \"FS02\", \"pasword\": \"x\"},\n {\"name\": \"FS03\"}\n]", 2, []int{3}, ""},
		{"a JSON object with a number for a name", JSON, "[{\"name\": 7}, {\"name\": \"FS02\"}]", 1, []int{1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, bad, err := Read(strings.NewReader(tt.file), tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if tt.why != "" && (len(bad) == 0 || bad[0].Err.Error() != tt.why) {
				t.Errorf("the bad line says %v, want %q", bad, tt.why)
			}
			if len(rows) != tt.rows {
				t.Errorf("%d rows read, want %d: %+v", len(rows), tt.rows, rows)
			}
			var lines []int
			for _, b := range bad {
				lines = append(lines, b.Line)
			}
			if len(lines) != len(tt.badLines) {
				t.Fatalf("bad lines %v (%v), want %v", lines, bad, tt.badLines)
			}
			for i := range lines {
				if lines[i] != tt.badLines[i] {
					t.Errorf("bad lines %v, want %v", lines, tt.badLines)
				}
			}
		})
	}
}

func TestAFileThatIsNotASlaveListIsRefusedAsAWhole(t *testing.T) {
	tests := []struct {
		name, file string
		format     Format
		want       string
	}{
		{"an empty CSV file", "", CSV, "empty"},
		{"a CSV header with an unknown column", "name,colour\n", CSV, `unknown column "colour"`},
		{"a CSV header without a name", "address\n1.2.3.4\n", CSV,
			`this is not a list of slaves: its first line names the columns "address", and a list of slaves has a name column (the columns are name, direction, address, group, key, fingerprint, notes and password)`},
		{"the Remote Management Log's export", "time,slave,direction,remote address,severity,event,reason,error\n2026-12-07T21:48:06Z,fs01,outbound,,Info,connecting,,\n", CSV,
			`this is not a list of slaves: its first line names the columns "time,slave,direction,remote address,severity,event,reason,error", and a list`},
		{"JSON that is not an array", `{"name":"FS01"}`, JSON, "not a JSON array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Read(strings.NewReader(tt.file), tt.format)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one that says %q", err, tt.want)
			}
		})
	}
}

func TestKeysReadBackAndDamagedKeysAreRefusedWithoutEchoingThem(t *testing.T) {
	var k auth.Key
	k[0], k[31] = 1, 2
	s := FormatKey(k, auth.DefaultKDF)
	got, p, err := ParseKey(s)
	if err != nil || got != k || p != auth.DefaultKDF {
		t.Fatalf("ParseKey(FormatKey) = %v %v %v", got == k, p, err)
	}
	for _, bad := range []string{"", "hunter2", s[:len(s)-4], strings.Replace(s, "t=3", "t=0", 1), strings.Replace(s, "m=65536", "m=x", 1)} {
		_, _, err := ParseKey(bad)
		if err == nil {
			t.Errorf("ParseKey(%q) accepted it", bad)
			continue
		}
		if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

func TestTheFormatFollowsTheFileName(t *testing.T) {
	for path, want := range map[string]Format{"fleet.json": JSON, "FLEET.JSON": JSON, "fleet.csv": CSV, "fleet": CSV} {
		if got := FormatOf(path); got != want {
			t.Errorf("FormatOf(%q) = %s, want %s", path, got, want)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("name,direction,address\nFS01,outbound,10.0.0.1:16888\n"), false)
	f.Add([]byte("[{\"name\":\"FS01\",\"key\":\"x\"}]"), true)
	f.Add([]byte("name,notes,password\n#FS01,  two spaces , pass word \n"), false)
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		format := CSV
		if asJSON {
			format = JSON
		}
		rows, bad, err := Read(bytes.NewReader(data), format)
		if err != nil {
			return
		}
		for _, b := range bad {
			if b.Line < 0 {
				t.Fatalf("negative line %d", b.Line)
			}
		}
		// What was read is written and read back alike.
		var buf bytes.Buffer
		if err := Write(&buf, rows, format); err != nil {
			t.Fatal(err)
		}
		again, bad2, err := Read(&buf, format)
		if err != nil || len(bad2) != 0 || len(again) != len(rows) {
			t.Fatalf("rewrite of %d rows read back as %d (%v, %v)", len(rows), len(again), err, bad2)
		}
	})
}
