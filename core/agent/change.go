package agent

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

// What the running agent and the offline path share: the same validation,
// the same store writes and the same descriptions of a change, so a
// command says the same whether the service is running or not.

// ControlError is a refused configuration change. Usage is true when the
// request itself is wrong (a malformed address, a duplicate master, an
// empty password): the command line exits with code 2 for those.
//
// Errors from the running agent over the control socket always arrive as
// a *ControlError; locally, only usage errors are one, and Err keeps the
// cause for errors.Is (store.ErrDuplicate, store.ErrNotFound).
type ControlError struct {
	Message string
	Usage   bool
	Err     error // the local cause; nil when it came over the socket
}

func (e *ControlError) Error() string { return e.Message }
func (e *ControlError) Unwrap() error { return e.Err }

// UsageMistake tells the command lines (app/cmdline) that the request, not
// the agent, was at fault: exit code 2.
func (e *ControlError) UsageMistake() bool { return e.Usage }

// IsUsage reports whether err is a mistake in the request rather than a
// failure to carry it out.
func IsUsage(err error) bool {
	var ce *ControlError
	return errors.As(err, &ce) && ce.Usage
}

func usage(err error) error { return &ControlError{Message: err.Error(), Usage: true, Err: err} }

func usagef(format string, args ...any) error { return usage(fmt.Errorf(format, args...)) }

// errUnchanged tells updateSettings that there is nothing to write.
var errUnchanged = errors.New("unchanged")

// updateSettings applies fn to the stored settings in one transaction and
// returns them before and after. fn returning errUnchanged writes nothing
// and is no error (before and after are then equal).
func updateSettings(db *store.DB, fn func(*Settings) error) (before, after Settings, err error) {
	var s Settings
	unchanged := false
	err = db.UpdateSettings(settingsKey, &s, func() error {
		if !s.Initialized() {
			return ErrNotInitialized
		}
		before = s
		err := fn(&s)
		if errors.Is(err, errUnchanged) {
			unchanged = true
		}
		return err
	})
	if unchanged {
		return before, before, nil
	}
	if err != nil {
		return Settings{}, Settings{}, err
	}
	return before, s, nil
}

// parseListen is `set listen`'s value: host:port, or off.
func parseListen(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "off") {
		return "", nil
	}
	addr, err := address.ParseListen(v)
	if err != nil {
		return "", usage(err)
	}
	return addr.String(), nil
}

// parseOnOff is an on/off value for the setting named what.
func parseOnOff(what, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes":
		return true, nil
	case "off", "false", "no":
		return false, nil
	}
	return false, usagef("%s takes on or off, not %q", what, v)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func offIfEmpty(s string) string {
	if s == "" {
		return "off"
	}
	return s
}

// parseMasterAddrs is one console's addresses as the masters list keeps
// them (link.ParseConsoleAddrs), a usage error when they cannot be read.
func parseMasterAddrs(v string) ([]string, error) {
	addrs, err := link.ParseConsoleAddrs(v)
	if err != nil {
		return nil, usage(err)
	}
	return addrs, nil
}

// ParseMasterSpec reads a master as link.ParseMasterSpec does, a usage
// error when it cannot be read.
func ParseMasterSpec(v string) (addrs []string, fp string, err error) {
	if addrs, fp, err = link.ParseMasterSpec(v); err != nil {
		return nil, "", usage(err)
	}
	return addrs, fp, nil
}

// MasterSpec is a master's addresses as the command line writes them.
func MasterSpec(addrs []string) string { return strings.Join(addrs, ",") }

// expecting is how a change words a master's expected certificate.
func expecting(fp string) string {
	if fp == "" {
		return ""
	}
	return ", expecting the certificate " + link.FormatFingerprint(fp)
}

func setListen(db *store.DB, addr string) (before, after Settings, err error) {
	return updateSettings(db, func(s *Settings) error {
		if s.Listen == addr {
			return errUnchanged
		}
		s.Listen = addr
		return nil
	})
}

func setSSL(db *store.DB, on bool) (before, after Settings, err error) {
	return updateSettings(db, func(s *Settings) error {
		if s.SSL == on {
			return errUnchanged
		}
		s.SSL = on
		return nil
	})
}

func setManagement(db *store.DB, on bool) (before, after Settings, err error) {
	return updateSettings(db, func(s *Settings) error {
		if s.Management == on {
			return errUnchanged
		}
		s.Management = on
		return nil
	})
}

var errEmptyPassword = errors.New("the password is empty: type the new management password")

// deriveFor derives the key for the agent's stored name. It runs outside
// any transaction and lock: Argon2id takes a good fraction of a second.
func deriveFor(name string, pw []byte) (auth.Key, error) {
	if len(pw) == 0 {
		return auth.Key{}, usage(errEmptyPassword)
	}
	if name == "" {
		return auth.Key{}, ErrNotInitialized
	}
	return auth.DeriveKey(pw, name, auth.DefaultKDF)
}

func storeKDF() store.KDFParams {
	return store.KDFParams(auth.DefaultKDF)
}

// setKey stores a key derived for name with kdf. A name changed meanwhile
// refuses, because the name is the key's salt.
func setKey(db *store.DB, name string, key auth.Key, kdf store.KDFParams) (before, after Settings, err error) {
	return updateSettings(db, func(s *Settings) error {
		if !strings.EqualFold(s.Name, name) {
			return errors.New("the agent's name changed while the password was being processed: run the command again")
		}
		if bytes.Equal(s.Key, key[:]) && s.KDF == kdf {
			return errUnchanged
		}
		s.Key = bytes.Clone(key[:])
		s.KDF = kdf
		return nil
	})
}

// requireInit refuses masters changes before init, as settings changes are.
func requireInit(db *store.DB) error {
	s, _, err := LoadSettings(db)
	if err != nil {
		return err
	}
	if !s.Initialized() {
		return ErrNotInitialized
	}
	return nil
}

// addMaster stores a new master (addrs already parsed), expecting the
// certificate fp when one was given. An address already in the list is
// the user's mistake.
func addMaster(db *store.DB, addrs []string, fp string) error {
	if err := requireInit(db); err != nil {
		return err
	}
	err := db.AddMaster(store.Master{Addresses: addrs, PinnedCert: fp})
	if errors.Is(err, store.ErrDuplicate) {
		return usage(fmt.Errorf("%w: remove it first (lanyard-agent masters remove ADDRESS), then add the console with all its addresses", err))
	}
	return err
}

// storedMaster finds the master that has addr (already parsed; the host's
// case does not matter) among its addresses, as it is stored; a master
// not in the list is the user's mistake, and the error lists the ones
// that are.
func storedMaster(db *store.DB, addr string) (store.Master, error) {
	if err := requireInit(db); err != nil {
		return store.Master{}, err
	}
	ms, err := db.Masters()
	if err != nil {
		return store.Master{}, err
	}
	list := make([]string, 0, len(ms))
	for _, m := range ms {
		list = append(list, m.Spec())
		if m.Has(addr) {
			return m, nil
		}
	}
	have := "the list is empty"
	if len(list) > 0 {
		have = "the list has " + strings.Join(list, ", ")
	}
	return store.Master{}, usage(&notInListError{fmt.Sprintf("%s is not in the masters list (%s)", addr, have)})
}

// trustMaster makes the master with the address addr expect the
// certificate fp, or, with fp "", trust the one it presents next (after the
// console was reinstalled). It returns the master as stored and the change
// in words.
func trustMaster(db *store.DB, addr, fp string) (store.Master, string, error) {
	m, err := storedMaster(db, addr)
	if err != nil {
		return store.Master{}, "", err
	}
	if m.PinnedCert == fp {
		return m, "", nil
	}
	if err := db.UpdateMaster(m.Addresses[0], func(m *store.Master) error { m.PinnedCert = fp; return nil }); err != nil {
		return store.Master{}, "", err
	}
	if fp == "" {
		return m, fmt.Sprintf("masters: %s will be trusted with the certificate it presents next", m.Spec()), nil
	}
	return m, fmt.Sprintf("masters: %s must present the certificate %s", m.Spec(), link.FormatFingerprint(fp)), nil
}

// removeMaster removes the master that has the address addr (already
// parsed; the host's case does not matter), with all its addresses, and
// returns it as it was stored.
func removeMaster(db *store.DB, addr string) (store.Master, error) {
	m, err := storedMaster(db, addr)
	if err != nil {
		return store.Master{}, err
	}
	if err := db.RemoveMaster(m.Addresses[0]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Master{}, usage(err)
		}
		return store.Master{}, err
	}
	return m, nil
}

// notInListError matches store.ErrNotFound.
type notInListError struct{ msg string }

func (e *notInListError) Error() string        { return e.msg }
func (e *notInListError) Is(target error) bool { return target == store.ErrNotFound }

// describe lists what changed between two settings, in the words the
// command line prints.
func describe(before, after Settings) []string {
	var c []string
	if before.Name != after.Name {
		c = append(c, fmt.Sprintf("name: %s → %s", before.Name, after.Name))
	}
	if before.Listen != after.Listen {
		c = append(c, fmt.Sprintf("listen: %s → %s", offIfEmpty(before.Listen), offIfEmpty(after.Listen)))
	}
	if before.SSL != after.SSL {
		c = append(c, fmt.Sprintf("ssl: %s → %s", onOff(before.SSL), onOff(after.SSL)))
	}
	if before.Management != after.Management {
		c = append(c, fmt.Sprintf("management: %s → %s", onOff(before.Management), onOff(after.Management)))
	}
	if !bytes.Equal(before.Key, after.Key) || before.KDF != after.KDF {
		c = append(c, "password: changed")
	}
	return c
}
