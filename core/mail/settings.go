package mail

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/store"
)

// Security is how the connection to the SMTP server is protected.
type Security string

// Securities.
const (
	SecurityNone     Security = "none"     // plain SMTP (port 25 inside a network)
	SecuritySTARTTLS Security = "starttls" // plain, then STARTTLS, required (port 587)
	SecurityTLS      Security = "tls"      // TLS from the first byte (port 465)
)

// ParseSecurity reads a security's name.
func ParseSecurity(s string) (Security, error) {
	switch v := Security(strings.ToLower(strings.TrimSpace(s))); v {
	case SecurityNone, SecuritySTARTTLS, SecurityTLS:
		return v, nil
	}
	return "", fmt.Errorf("%q is not an SMTP security: use none, starttls or tls", s)
}

// Settings are the console's mail settings. The password is not among
// them (Password, SetPassword).
type Settings struct {
	Server   string   `json:"server,omitempty"` // host:port
	Security Security `json:"security,omitempty"`
	User     string   `json:"user,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
	// Which alerts are mailed as they happen.
	OnFailed  bool `json:"on_failed"`
	OnOverdue bool `json:"on_overdue"`
	OnOffline bool `json:"on_offline"`
	// OnFull: a backup task's destination nearly full.
	OnFull bool `json:"on_full"`
	// OnDamaged: copies found damaged in a task's snapshots (by a run's
	// verify, a verify or a restore by hand). Settings stored before it
	// existed mail them as they mailed failures (Load).
	OnDamaged bool `json:"on_damaged"`
	// DailyAt is the daily summary's time, "HH:MM" on this console's
	// clock; "" sends none.
	DailyAt string `json:"daily_at,omitempty"`
	// GroupTo are, by group name, further recipients of a daily summary
	// of that group's servers alone (a customer's own report), sent with
	// the fleet's.
	GroupTo map[string][]string `json:"group_to,omitempty"`
	// GroupAlerts: a group's own recipients get its servers' alerts too,
	// as they come due (the kinds the On* switches mail).
	GroupAlerts bool `json:"group_alerts,omitempty"`
}

// SendsAs: mail sent with s goes the way o sends it: to the same server,
// with the same security, user and sender, to the same recipients.
func (s Settings) SendsAs(o Settings) bool {
	return s.Server == o.Server && s.Security == o.Security && s.User == o.User && s.From == o.From && slices.Equal(s.To, o.To)
}

// ParseGroupTo reads one group's recipients as the command line and the
// window write them, "Acme=it@acme.example, boss@acme.example" (":" will
// do for "="); no address after the group stops its report.
func ParseGroupTo(s string) (group string, to []string, err error) {
	i := strings.IndexAny(s, "=:")
	if i < 0 || strings.TrimSpace(s[:i]) == "" {
		return "", nil, fmt.Errorf("%q: write GROUP=ADDR[,ADDR…], or GROUP= to stop that group's report", s)
	}
	return strings.TrimSpace(s[:i]), SplitAddresses(s[i+1:]), nil
}

// FormatGroupTo writes each group's recipients as ParseGroupsTo reads
// them: "Acme = it@acme.example; Globex = it@globex.example", in order
// of name.
func FormatGroupTo(groupTo map[string][]string) string {
	var parts []string
	for _, g := range slices.SortedFunc(maps.Keys(groupTo), human.CompareNames) {
		parts = append(parts, g+" = "+strings.Join(groupTo[g], ", "))
	}
	return strings.Join(parts, "; ")
}

// ParseGroupsTo reads what FormatGroupTo writes (a new line will do for
// "; ") into every group's recipients; a group given no address is left
// out.
func ParseGroupsTo(s string) (map[string][]string, error) {
	var st Settings
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		if strings.TrimSpace(part) == "" {
			continue
		}
		g, to, err := ParseGroupTo(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		st.SetGroupTo(g, to)
	}
	return st.GroupTo, nil
}

// GroupRecipients are group's own recipients, its name matched in any
// case; nil when it has none.
func (s *Settings) GroupRecipients(group string) []string {
	for g, to := range s.GroupTo {
		if strings.EqualFold(g, group) {
			return to
		}
	}
	return nil
}

// SetGroupTo sets group's own recipients, replacing those of a group of
// the same name in another case; none removes them.
func (s *Settings) SetGroupTo(group string, to []string) {
	for g := range s.GroupTo {
		if strings.EqualFold(g, group) {
			delete(s.GroupTo, g)
		}
	}
	if len(to) == 0 {
		return
	}
	if s.GroupTo == nil {
		s.GroupTo = map[string][]string{}
	}
	s.GroupTo[group] = to
}

// Defaults: every alert mailed, STARTTLS, no daily summary until a time
// is chosen.
func Defaults() Settings {
	return Settings{Security: SecuritySTARTTLS, OnFailed: true, OnOverdue: true, OnOffline: true, OnFull: true, OnDamaged: true}
}

// Configured says whether mail can be sent: a server, a sender and a
// recipient.
func (s Settings) Configured() bool { return len(s.Missing()) == 0 }

// Missing names what s lacks to send mail, as the console's mail settings
// label it: "SMTP server", "From", "To"; none when Configured.
func (s Settings) Missing() []string {
	var missing []string
	if s.Server == "" {
		missing = append(missing, "SMTP server")
	}
	if s.From == "" {
		missing = append(missing, "From")
	}
	if len(s.To) == 0 {
		missing = append(missing, "To")
	}
	return missing
}

// Validate checks the settings and says what is wrong, per field.
func (s Settings) Validate() error {
	if s.Server != "" {
		if err := checkServer(s.Server); err != nil {
			return err
		}
	}
	if _, err := ParseSecurity(string(s.Security)); err != nil {
		return err
	}
	if s.From != "" {
		if _, err := mail.ParseAddress(s.From); err != nil {
			return fmt.Errorf("sender %q is not a mail address: write name@example.com", s.From)
		}
	}
	if err := CheckAddresses(s.To); err != nil {
		return fmt.Errorf("recipient %w", err)
	}
	if s.DailyAt != "" {
		if _, _, err := ParseClock(s.DailyAt); err != nil {
			return err
		}
	}
	for g, to := range s.GroupTo {
		if strings.TrimSpace(g) == "" {
			return errors.New("a group's report recipients need the group's name: write GROUP=ADDR[,ADDR…]")
		}
		if err := CheckAddresses(to); err != nil {
			return fmt.Errorf("group %s's recipient %w", g, err)
		}
	}
	return nil
}

// CheckAddresses says which of addrs, if any, is not a mail address:
// `"bob" is not a mail address: write name@example.com`.
func CheckAddresses(addrs []string) error {
	for _, a := range addrs {
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("%q is not a mail address: write name@example.com", a)
		}
	}
	return nil
}

// checkServer reads host:port with the one address reader; SMTP has no
// default port here, so one must be given.
func checkServer(s string) error {
	if _, port := address.Split(s); port == "" {
		return fmt.Errorf("SMTP server %q: give the port too, e.g. %s:587 (STARTTLS), :465 (TLS) or :25", s, s)
	}
	if _, err := address.ParseDial(s); err != nil {
		return fmt.Errorf("SMTP server: %w", err)
	}
	return nil
}

// ParseClock reads a daily time, "HH:MM".
func ParseClock(s string) (h, m int, err error) {
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || len(s) < 4 || len(s) > 5 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, fmt.Errorf("%q is not a time of day: write HH:MM (00:00 to 23:59), or off", s)
	}
	return h, m, nil
}

// SplitAddresses reads "a@x, b@y" into addresses.
func SplitAddresses(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Keys in the settings bucket.
const (
	settingsKey = "mail"
	passwordKey = "mail_password"
)

// Load reads the mail settings (Defaults when none are stored). Settings
// stored before damaged copies had a switch of their own mailed them with
// the failures, and still do.
func Load(db *store.DB) (Settings, error) {
	var stored struct {
		Settings
		OnDamaged *bool `json:"on_damaged"` // shadows Settings.OnDamaged: nil when not stored
	}
	stored.Settings = Defaults()
	found, err := db.GetSettings(settingsKey, &stored)
	s := stored.Settings
	switch {
	case stored.OnDamaged != nil:
		s.OnDamaged = *stored.OnDamaged
	case found:
		s.OnDamaged = s.OnFailed
	}
	return s, err
}

// Save validates and stores the settings. A new daily time counts from
// now: the first summary goes out when that time next comes.
func Save(db *store.DB, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	old, err := Load(db)
	if err != nil {
		return err
	}
	if old.DailyAt != s.DailyAt {
		if err := MarkDailySent(db, time.Now()); err != nil {
			return err
		}
	}
	return db.PutSettings(settingsKey, s)
}

// Password is the stored SMTP password ("" when none).
func Password(db *store.DB) (string, error) {
	var pw string
	_, err := db.GetSettings(passwordKey, &pw)
	return pw, err
}

// SetPassword stores the SMTP password; "" removes it.
func SetPassword(db *store.DB, pw string) error {
	if strings.ContainsAny(pw, "\r\n") {
		return errors.New("the SMTP password has a line break in it: type it again")
	}
	return db.PutSettings(passwordKey, pw)
}

// HasPassword says whether a password is stored, for "(stored)" in forms.
func HasPassword(db *store.DB) bool {
	pw, err := Password(db)
	return err == nil && pw != ""
}
