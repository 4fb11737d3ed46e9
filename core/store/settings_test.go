package store

import (
	"errors"
	"path/filepath"
	"testing"
)

type listenSettings struct {
	Listen bool   `json:"listen"`
	Port   int    `json:"port"`
	Theme  string `json:"theme,omitempty"`
}

func TestSettingsRoundTripAndPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())

	var absent listenSettings
	if found, err := db.GetSettings("listen", &absent); err != nil || found {
		t.Fatalf("GetSettings on an empty store = %v, %v", found, err)
	}
	want := listenSettings{Listen: true, Port: 16888}
	if err := db.PutSettings("listen", want); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	var got listenSettings
	if found, err := db.GetSettings("listen", &got); err != nil || !found || got != want {
		t.Errorf("GetSettings = %v, %v, %+v; want %+v", found, err, got, want)
	}
}

func TestUpdateSettings(t *testing.T) {
	db := openTestDB(t, testOptions())

	// Absent: v keeps the caller's defaults.
	s := listenSettings{Port: 16888}
	err := db.UpdateSettings("listen", &s, func() error {
		if s.Port != 16888 {
			t.Errorf("defaults overwritten: %+v", s)
		}
		s.Listen = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Present: v is loaded, then changed.
	var again listenSettings
	err = db.UpdateSettings("listen", &again, func() error {
		if again != (listenSettings{Listen: true, Port: 16888}) {
			t.Errorf("loaded %+v", again)
		}
		again.Port = 17000
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// fn fails: nothing written.
	boom := errors.New("port in use")
	var failed listenSettings
	err = db.UpdateSettings("listen", &failed, func() error {
		failed.Port = 1
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	var final listenSettings
	if _, err := db.GetSettings("listen", &final); err != nil || final != (listenSettings{Listen: true, Port: 17000}) {
		t.Errorf("final = %+v, %v", final, err)
	}
}

func TestSettingsBadJSONNamesKey(t *testing.T) {
	db := openTestDB(t, testOptions())
	putRaw(t, db, bucketSettings, []byte("listen"), []byte("{not json"))
	var s listenSettings
	_, err := db.GetSettings("listen", &s)
	assertDamaged(t, err, "settings", "listen")
	err = db.UpdateSettings("listen", &s, func() error { return nil })
	assertDamaged(t, err, "settings", "listen")
}

func TestGetSettingsIntoNonPointerIsNotDamage(t *testing.T) {
	db := openTestDB(t, testOptions())
	if err := db.PutSettings("port", 16888); err != nil {
		t.Fatal(err)
	}
	var port int
	if _, err := db.GetSettings("port", port); err == nil || errors.Is(err, ErrDamaged) {
		t.Errorf("GetSettings(non-pointer) = %v, want an error that does not blame the file", err)
	}
}
