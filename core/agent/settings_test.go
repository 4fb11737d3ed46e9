package agent_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

func TestFirstInitNeedsANameAndAPassword(t *testing.T) {
	cases := []struct {
		name    string
		opts    agent.InitOptions
		wantErr string
	}{
		{"an init without a name is refused", agent.InitOptions{Password: []byte(password)}, "--name"},
		{"an init without a password is refused", agent.InitOptions{Name: slaveName}, "password"},
		{"an init with neither is refused", agent.InitOptions{}, "--name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openDB(t)
			if _, _, err := agent.Init(db, c.opts); err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
			}
			if _, found, err := agent.LoadSettings(db); err != nil || found {
				t.Fatalf("settings found = %v (%v) after a refused init", found, err)
			}
			if ms := masters(t, db); len(ms) != 0 {
				t.Fatalf("masters %v after a refused init", ms)
			}
		})
	}
}

func TestFirstInitStoresTheKeyButNeverThePassword(t *testing.T) {
	dir := t.TempDir()
	db := testkit.StoreAt(t, filepath.Join(dir, "agent.db"), "agent", store.Options{})
	s, warnings, err := agent.Init(db, agent.InitOptions{Name: slaveName, Password: []byte(password)})
	if err != nil {
		t.Fatal(err)
	}
	want := keyFor(t, slaveName, password)
	if len(s.Key) != auth.KeySize || !bytes.Equal(s.Key, want[:]) {
		t.Fatalf("key is %d bytes and not the one derived from the password", len(s.Key))
	}
	wantKDF := store.KDFParams{Time: auth.DefaultKDF.Time, MemoryKiB: auth.DefaultKDF.MemoryKiB, Threads: auth.DefaultKDF.Threads}
	if s.KDF != wantKDF {
		t.Fatalf("KDF = %+v, want %+v", s.KDF, wantKDF)
	}
	if !s.Initialized() || s.Name != slaveName || !s.SSL || !s.Management || s.Listen != "" {
		t.Fatalf("first init gave %+v; want name %s, SSL and management on, not listening", s, slaveName)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "neither listens") {
		t.Fatalf("warnings = %q, want one saying no console can reach the agent", warnings)
	}
	stored, found, err := agent.LoadSettings(db)
	if err != nil || !found || !reflect.DeepEqual(stored, s) {
		t.Fatalf("LoadSettings = %+v, %v, %v; want what Init returned", stored, found, err)
	}

	// Nothing on disk, the database file or anything beside it, holds the
	// password, while the file does hold the key.
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(password)) {
			t.Fatalf("%s holds the password", f.Name())
		}
		if f.Name() == "agent.db" && !bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString(want[:]))) {
			t.Fatal("agent.db does not hold the derived key")
		}
	}
}

// snapshot is everything Init may change.
type snapshot struct {
	settings agent.Settings
	masters  []store.Master
}

func take(t *testing.T, db *store.DB) snapshot {
	t.Helper()
	s, _, err := agent.LoadSettings(db)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{settings: s, masters: masters(t, db)}
}

func (s snapshot) equal(o snapshot) bool { return reflect.DeepEqual(s, o) }

func masters(t *testing.T, db *store.DB) []store.Master {
	t.Helper()
	ms, err := db.Masters()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func addresses(ms []store.Master) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Spec())
	}
	return out
}

func TestReinitChangesOnlyWhatItIsGiven(t *testing.T) {
	cases := []struct {
		name   string
		opts   agent.InitOptions
		change func(*snapshot)
	}{
		{"--ssl off changes only SSL",
			agent.InitOptions{SSL: ptr(false)},
			func(s *snapshot) { s.settings.SSL = false }},
		{"--management off changes only management",
			agent.InitOptions{Management: ptr(false)},
			func(s *snapshot) { s.settings.Management = false }},
		{"a listen address changes only the listen address",
			agent.InitOptions{Listen: ptr(" :7000 ")},
			func(s *snapshot) { s.settings.Listen = ":7000" }},
		{"listen off turns listening off",
			agent.InitOptions{Listen: ptr("off")},
			func(s *snapshot) { s.settings.Listen = "" }},
		{"an empty listen address turns listening off",
			agent.InitOptions{Listen: ptr("")},
			func(s *snapshot) { s.settings.Listen = "" }},
		{"the same name needs no password and changes nothing",
			agent.InitOptions{Name: slaveName},
			func(*snapshot) {}},
		{"the same name in other case needs no password and keeps the key",
			agent.InitOptions{Name: strings.ToLower(slaveName)},
			func(s *snapshot) { s.settings.Name = strings.ToLower(slaveName) }},
		{"masters replace the list, bare hosts getting the default port",
			agent.InitOptions{Masters: []string{"b.example:7000", "A.example"}},
			func(s *snapshot) {
				s.masters = []store.Master{{Addresses: []string{"A.example:16888"}}, {Addresses: []string{"b.example:7000"}}}
			}},
		{"an empty masters list clears the list",
			agent.InitOptions{Masters: []string{}},
			func(s *snapshot) { s.masters = nil }},
		{"no options change nothing",
			agent.InitOptions{},
			func(*snapshot) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := initializedDB(t)
			mustInit(t, db, agent.InitOptions{Listen: ptr(":16888"), Masters: []string{"console.example:16888"}})
			want := take(t, db)
			c.change(&want)
			s := mustInit(t, db, c.opts)
			got := take(t, db)
			if !reflect.DeepEqual(got.settings, want.settings) || !reflect.DeepEqual(s, want.settings) {
				t.Errorf("settings = %+v (returned %+v), want %+v", got.settings, s, want.settings)
			}
			if !reflect.DeepEqual(addresses(got.masters), addresses(want.masters)) {
				t.Errorf("masters = %q, want %q", addresses(got.masters), addresses(want.masters))
			}
		})
	}
}

func TestReinitWithANewNameAndThePasswordMakesANewKey(t *testing.T) {
	db := initializedDB(t)
	before := take(t, db)
	s := mustInit(t, db, agent.InitOptions{Name: "FS02", Password: []byte(password)})
	if s.Name != "FS02" || len(s.Key) != auth.KeySize || bytes.Equal(s.Key, before.settings.Key) {
		t.Fatalf("name %q, key changed %v; want FS02 with a new key (the name is the salt)",
			s.Name, !bytes.Equal(s.Key, before.settings.Key))
	}
	if s.SSL != before.settings.SSL || s.Management != before.settings.Management || s.Listen != before.settings.Listen {
		t.Fatalf("renaming changed other settings: %+v, was %+v", s, before.settings)
	}
}

func TestInitThatFailsChangesNothing(t *testing.T) {
	pw := []byte(password)
	// Every case also asks for changes that would show if Init applied
	// part of the request before it failed.
	cases := []struct {
		name    string
		opts    agent.InitOptions
		wantErr string
	}{
		{"a new name without the password is refused", agent.InitOptions{Name: "FS02"}, "needs the password"},
		{"a name with a space is refused", agent.InitOptions{Name: "FS 01", Password: pw}, "space"},
		{"a name with a slash is refused", agent.InitOptions{Name: "FS/01", Password: pw}, "position"},
		{"a name that is not ASCII is refused", agent.InitOptions{Name: "Fußball", Password: pw}, "position"},
		{"a name of 64 characters is refused", agent.InitOptions{Name: strings.Repeat("a", 64), Password: pw}, "at most 63"},
		{"a master port above 65535 is refused", agent.InitOptions{Masters: []string{":99999"}}, "65535"},
		{"a master host with a space is refused", agent.InitOptions{Masters: []string{"a b:1"}}, "not a valid host"},
		{"master port zero is refused", agent.InitOptions{Masters: []string{"[::1]:0"}}, "65535"},
		{"a master with two ports is refused", agent.InitOptions{Masters: []string{"console:1:2"}}, "not host:port"},
		{"a good master before a bad one is not kept", agent.InitOptions{Masters: []string{"good.example", "bad:0"}}, "65535"},
		{"a master given twice is refused", agent.InitOptions{Masters: []string{"c.example:7000", "c.example:7000"}}, "twice"},
		{"a master given twice in different case is refused", agent.InitOptions{Masters: []string{"Console.Example:7000", "console.example:7000"}}, "twice"},
		{"a master given bare and with the default port is refused", agent.InitOptions{Masters: []string{"c.example", "c.example:16888"}}, "twice"},
		{"a listen address without a port is refused", agent.InitOptions{Listen: ptr("localhost")}, "not host:port"},
		{"a listen port above 65535 is refused", agent.InitOptions{Listen: ptr(":99999")}, "65535"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := initializedDB(t)
			mustInit(t, db, agent.InitOptions{Listen: ptr(":16888"), Masters: []string{"console.example:16888"}})
			before := take(t, db)
			o := c.opts
			o.SSL, o.Management = ptr(!before.settings.SSL), ptr(!before.settings.Management)
			if o.Listen == nil {
				o.Listen = ptr("off")
			}
			if o.Masters == nil {
				o.Masters = []string{"other.example"}
			}
			s, warnings, err := agent.Init(db, o)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
			}
			if !reflect.DeepEqual(s, agent.Settings{}) || warnings != nil {
				t.Errorf("a failed Init returned settings %+v and warnings %q", s, warnings)
			}
			if after := take(t, db); !reflect.DeepEqual(after, before) {
				t.Fatalf("a failed Init changed\n%+v\nto\n%+v", before, after)
			}
		})
	}
}

func TestInitWarnings(t *testing.T) {
	cases := []struct {
		name    string
		opts    agent.InitOptions
		want    []string
		wantNot []string
	}{
		{"neither listening nor dialing warns that nobody can reach the agent",
			agent.InitOptions{Listen: ptr("off"), Masters: []string{}},
			[]string{"neither listens"}, []string{"management is off"}},
		{"listening without masters does not warn",
			agent.InitOptions{Listen: ptr(":16888"), Masters: []string{}},
			nil, []string{"neither listens", "management is off"}},
		{"dialing a master without listening does not warn",
			agent.InitOptions{Listen: ptr("off"), Masters: []string{"console.example"}},
			nil, []string{"neither listens", "management is off"}},
		{"management off warns that every console is refused",
			agent.InitOptions{Listen: ptr(":16888"), Management: ptr(false)},
			[]string{"management is off"}, []string{"neither listens"}},
		{"management off and unreachable warns twice",
			agent.InitOptions{Listen: ptr("off"), Management: ptr(false)},
			[]string{"neither listens", "management is off"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, warnings, err := agent.Init(initializedDB(t), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(warnings, "\n")
			if len(warnings) != len(c.want) {
				t.Errorf("%d warnings %q, want %d", len(warnings), warnings, len(c.want))
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q lack %q", warnings, w)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(all, w) {
					t.Errorf("warnings %q include %q", warnings, w)
				}
			}
		})
	}
}
