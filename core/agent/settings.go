package agent

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

const settingsKey = "agent"

// Settings are the agent's own configuration.
type Settings struct {
	Name string `json:"name"`
	// Key is derived from the management password; the password itself
	// is never stored.
	Key []byte          `json:"key"`
	KDF store.KDFParams `json:"kdf"`
	// Listen is where consoles dial this agent; "" means not listening.
	Listen string `json:"listen"`
	// SSL must match every console's setting.
	SSL bool `json:"ssl"`
	// Management off refuses every console.
	Management       bool `json:"management"`
	HeartbeatSeconds int  `json:"heartbeat_seconds,omitempty"`
}

// Initialized reports whether init has given the agent a name and key.
func (s Settings) Initialized() bool { return s.Name != "" && len(s.Key) == len(auth.Key{}) }

// Heartbeat is the ping interval.
func (s Settings) Heartbeat() time.Duration {
	if s.HeartbeatSeconds <= 0 {
		return link.DefaultHeartbeat
	}
	return time.Duration(s.HeartbeatSeconds) * time.Second
}

func (s Settings) key() auth.Key {
	var k auth.Key
	copy(k[:], s.Key)
	return k
}

func (s Settings) kdf() auth.KDFParams {
	return auth.KDFParams(s.KDF)
}

// LoadSettings reads the agent's settings; found is false before init.
func LoadSettings(db *store.DB) (s Settings, found bool, err error) {
	found, err = db.GetSettings(settingsKey, &s)
	return s, found, err
}

// Fingerprint is the agent's certificate fingerprint as stored (hex
// SHA-256), "" before init or the first start made the certificate. It
// never creates one.
func Fingerprint(db *store.DB) (string, error) {
	id, err := db.LoadOrCreateIdentity(func() (store.Identity, error) { return store.Identity{}, errNoIdentity })
	if errors.Is(err, errNoIdentity) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	_, fp, err := link.LoadCertificate(id.CertPEM, id.KeyPEM)
	return fp, err
}

var errNoIdentity = errors.New("no identity yet")

// InitOptions are the flags of `lanyard-agent init`. Nil pointers and
// empty values keep what is stored.
type InitOptions struct {
	Name       string
	Password   []byte
	Listen     *string // "" or "off" stops listening
	SSL        *bool
	Management *bool
	// Masters replaces the list when non-nil. Each is one console:
	// HOST:PORT, or several of its addresses separated by commas, and
	// =SHA256:… after them to expect that certificate (ParseMasterSpec).
	Masters []string
}

// initMasters is init's new masters list, nil to keep the list as it is.
// A console already in the list (one of its addresses is given again)
// keeps its pinned certificate unless another is given, and the address
// that worked last: running init again must not reopen the first-use
// blind spot.
func initMasters(db *store.DB, specs []string) ([]store.Master, error) {
	if specs == nil {
		return nil, nil
	}
	old, err := db.Masters()
	if err != nil {
		return nil, err
	}
	// Non-nil even when empty: an empty list clears the masters.
	masters := make([]store.Master, 0, len(specs))
	seen := map[string]bool{}
	for _, spec := range specs {
		addrs, fp, err := ParseMasterSpec(spec)
		if err != nil {
			return nil, err
		}
		m := store.Master{Addresses: addrs, PinnedCert: fp}
		for _, a := range addrs {
			if seen[masterKey(a)] {
				return nil, usagef("master %s is given twice", a)
			}
			seen[masterKey(a)] = true
		}
		for _, o := range old {
			if slices.ContainsFunc(addrs, o.Has) {
				m.PinnedCert = cmp.Or(fp, o.PinnedCert)
				if m.Has(o.LastGood) {
					m.LastGood = o.LastGood
				}
				break
			}
		}
		masters = append(masters, m)
	}
	return masters, nil
}

// Init creates or updates the agent's settings in one transaction and
// returns them with warnings a person should read. Nothing is written when
// it fails.
func Init(db *store.DB, o InitOptions) (Settings, []string, error) {
	masters, err := initMasters(db, o.Masters)
	if err != nil {
		return Settings{}, nil, err
	}
	listen, err := initListen(o.Listen)
	if err != nil {
		return Settings{}, nil, err
	}
	// Derive the key before the write transaction: Argon2id takes a good
	// fraction of a second, and the database stays locked meanwhile.
	key, keyName, err := initKey(db, o)
	if err != nil {
		return Settings{}, nil, err
	}
	before, _, err := LoadSettings(db)
	if err != nil {
		return Settings{}, nil, err
	}
	var s Settings
	err = db.UpdateSettings(settingsKey, &s, func() error { return applyInit(&s, o, listen, key, keyName) })
	if err != nil {
		return Settings{}, nil, err
	}
	var moved []string // the task folders the old name claimed are the new name's
	if before.Name != "" && !strings.EqualFold(before.Name, s.Name) {
		moved = reclaimFolders(db, before.Name, s.Name)
	}
	if masters != nil {
		if err := db.ReplaceMasters(masters); err != nil {
			return Settings{}, nil, err
		}
	}
	warnings, err := initWarnings(db, s)
	if err != nil {
		return Settings{}, nil, err
	}
	return s, append(warnings, moved...), nil
}

// initListen is init's listen address in canonical form; "" when not
// given, empty or "off".
func initListen(v *string) (string, error) {
	if v == nil || *v == "" || *v == "off" {
		return "", nil
	}
	a, err := address.ParseListen(*v)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

// initKey derives the key for init's new password, if one is given, and
// returns it with the name it was derived for: the one given, or else the
// stored one. The key is nil when there is no password or no name yet.
func initKey(db *store.DB, o InitOptions) (key []byte, keyName string, err error) {
	keyName = o.Name
	if len(o.Password) == 0 {
		return nil, keyName, nil
	}
	if keyName == "" {
		cur, _, err := LoadSettings(db)
		if err != nil {
			return nil, "", err
		}
		keyName = cur.Name
	}
	if keyName == "" {
		return nil, "", nil
	}
	k, err := auth.DeriveKey(o.Password, keyName, auth.DefaultKDF)
	if err != nil {
		return nil, "", err
	}
	return k[:], keyName, nil
}

// applyInit is init's change to the stored settings s, inside the write
// transaction. A fresh agent starts with management and SSL on.
func applyInit(s *Settings, o InitOptions, listen string, key []byte, keyName string) error {
	if !s.Initialized() {
		s.Management, s.SSL = true, true
	}
	if err := applyInitName(s, o); err != nil {
		return err
	}
	if len(o.Password) > 0 {
		if key == nil || !strings.EqualFold(keyName, s.Name) {
			return errors.New("the agent's name changed while the password was being processed: run the command again")
		}
		s.Key = key
		s.KDF = storeKDF()
	}
	if !s.Initialized() {
		return errors.New("the agent has no management password yet: give one with --password-stdin")
	}
	if o.Listen != nil {
		s.Listen = listen
	}
	if o.SSL != nil {
		s.SSL = *o.SSL
	}
	if o.Management != nil {
		s.Management = *o.Management
	}
	return nil
}

// applyInitName sets init's new name, if one is given (a new name needs
// the password too: the name is the key's salt). The agent must end up
// with a name.
func applyInitName(s *Settings, o InitOptions) error {
	if o.Name != "" {
		if err := auth.ValidateName(o.Name); err != nil {
			return err
		}
		if !strings.EqualFold(o.Name, s.Name) && len(o.Password) == 0 {
			return errors.New("a new name needs the password too: the name is part of the key (use --password-stdin)")
		}
		s.Name = o.Name
	}
	if s.Name == "" {
		return errors.New("the agent has no name yet: give one with --name (letters, digits, '-', '_', '.')")
	}
	return nil
}

// initWarnings are what a person should read after init: an agent that no
// console can reach, or one that refuses every console.
func initWarnings(db *store.DB, s Settings) ([]string, error) {
	ms, err := db.Masters()
	if err != nil {
		return nil, err
	}
	var warnings []string
	if s.Listen == "" && len(ms) == 0 {
		warnings = append(warnings, "this agent neither listens (--listen :16888) nor dials a console (--master HOST:PORT): no console will be able to reach it")
	}
	if !s.Management {
		warnings = append(warnings, "remote management is off: every console will be refused")
	}
	return warnings, nil
}
