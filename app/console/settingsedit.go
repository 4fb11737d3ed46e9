package console

import (
	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// lanyard settings show and set work the same way whether a console runs
// or not: the command line turns its flags into a settingsEdit, and one
// function (applyEdit) carries it out on a settingsHome, which is the
// running console (through the control socket, so the listener and the
// links follow at once) or its database when no console runs.

const (
	opConsoleSettings    = "console_settings"
	opConsoleSettingsSet = "console_settings_set"
)

// settingsEdit is what one lanyard settings set changes: only the fields
// that are set. It travels to the running console as JSON; the SMTP
// password does not travel in it (see ctlRequest.Password).
type settingsEdit struct {
	Listen      *string   `json:"listen,omitempty"` // "" stops listening
	SSL         *bool     `json:"ssl,omitempty"`
	Heartbeat   *int      `json:"heartbeat,omitempty"` // seconds
	Public      *string   `json:"public,omitempty"`
	PublicPorts *[]int    `json:"public_ports,omitempty"`
	AlertGrace  *int      `json:"alert_grace,omitempty"` // seconds
	Mail        *mailEdit `json:"mail,omitempty"`
	// SetMailPassword: the edit replaces the stored SMTP password with
	// the request's password.
	SetMailPassword bool `json:"set_mail_password,omitempty"`
}

// mailEdit is what the edit changes in the mail settings.
type mailEdit struct {
	Server    *string        `json:"server,omitempty"` // "" removes the server
	Security  *mail.Security `json:"security,omitempty"`
	User      *string        `json:"user,omitempty"`
	From      *string        `json:"from,omitempty"`
	To        *[]string      `json:"to,omitempty"`
	DailyAt   *string        `json:"daily_at,omitempty"` // "" for no daily summary
	OnFailed  *bool          `json:"on_failed,omitempty"`
	OnOverdue *bool          `json:"on_overdue,omitempty"`
	OnOffline *bool          `json:"on_offline,omitempty"`
	OnFull    *bool          `json:"on_full,omitempty"`
	OnDamaged *bool          `json:"on_damaged,omitempty"`
	// GroupTo sets each group's own recipients; none stops its report.
	GroupTo     map[string][]string `json:"group_to,omitempty"`
	GroupAlerts *bool               `json:"group_alerts,omitempty"`
}

func (ed *settingsEdit) apply(s *master.Settings) {
	if ed.Listen != nil {
		s.Listen = *ed.Listen != ""
		if s.Listen {
			s.ListenAddress = *ed.Listen
		}
	}
	set(&s.SSL, ed.SSL)
	set(&s.HeartbeatSeconds, ed.Heartbeat)
	if ed.Public != nil {
		s.PublicHost = *ed.Public
		if s.PublicHost == "" && ed.PublicPorts == nil {
			s.PublicPorts = nil // no public address, no ports forwarded to it
		}
	}
	set(&s.PublicPorts, ed.PublicPorts)
	set(&s.AlertGraceSeconds, ed.AlertGrace)
}

// touchesSettings: the edit changes more than the mail settings.
func (ed *settingsEdit) touchesSettings() bool {
	return ed.Listen != nil || ed.SSL != nil || ed.Heartbeat != nil || ed.Public != nil || ed.PublicPorts != nil || ed.AlertGrace != nil
}

func (ed *mailEdit) apply(s *mail.Settings) {
	set(&s.Server, ed.Server)
	set(&s.Security, ed.Security)
	set(&s.User, ed.User)
	set(&s.From, ed.From)
	set(&s.To, ed.To)
	set(&s.DailyAt, ed.DailyAt)
	set(&s.OnFailed, ed.OnFailed)
	set(&s.OnOverdue, ed.OnOverdue)
	set(&s.OnOffline, ed.OnOffline)
	set(&s.OnFull, ed.OnFull)
	set(&s.OnDamaged, ed.OnDamaged)
	for g, to := range ed.GroupTo {
		s.SetGroupTo(g, to)
	}
	set(&s.GroupAlerts, ed.GroupAlerts)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// settingsHome is where the console's settings live while a command
// changes them.
type settingsHome interface {
	settings() (master.Settings, error)
	applySettings(master.Settings) error
	mailSettings() (s mail.Settings, passwordStored bool, err error)
	// setMail saves s and, when password is not nil, the SMTP password.
	setMail(s mail.Settings, password *string) error
	fingerprint() (string, error)
}

// applyEdit carries ed out on h: everything is checked before anything
// is saved, so a mistake changes nothing. A mistake is a usage error.
func applyEdit(h settingsHome, ed settingsEdit, password *string) error {
	s, err := h.settings()
	if err != nil {
		return err
	}
	ed.apply(&s)
	if err := s.Validate(); err != nil {
		return cmdline.Usage(err)
	}
	var ms mail.Settings
	if ed.Mail != nil || ed.SetMailPassword {
		if ms, _, err = h.mailSettings(); err != nil {
			return err
		}
		if ed.Mail != nil {
			ed.Mail.apply(&ms)
		}
		if err := ms.Validate(); err != nil {
			return cmdline.Usage(err)
		}
	}
	if ed.touchesSettings() {
		if err := h.applySettings(s); err != nil {
			return err
		}
	}
	if ed.Mail == nil && !ed.SetMailPassword {
		return nil
	}
	if !ed.SetMailPassword {
		password = nil
	}
	if err := h.setMail(ms, password); err != nil {
		return cmdline.Usage(err)
	}
	return nil
}

// settingsView is what lanyard settings show prints (never a password).
type settingsView struct {
	master.Settings
	Fingerprint string   `json:"fingerprint"`
	Mail        mailJSON `json:"mail"`
	// ListenError is why the running console does not listen where its
	// settings say ("" when it does, or when none runs).
	ListenError string `json:"listen_error,omitempty"`
}

func viewOf(h settingsHome) (settingsView, error) {
	s, err := h.settings()
	if err != nil {
		return settingsView{}, err
	}
	fp, err := h.fingerprint()
	if err != nil {
		return settingsView{}, err
	}
	ms, stored, err := h.mailSettings()
	if err != nil {
		return settingsView{}, err
	}
	v := settingsView{Settings: s, Fingerprint: fp, Mail: mailJSON{Settings: ms, PasswordStored: stored}}
	if mh, ok := h.(masterHome); ok && ms.Configured() {
		st := mh.m.MailStatus()
		v.Mail.Status = &st // only a running console knows how its mail goes
	}
	return v, nil
}

// masterHome is the running console.
type masterHome struct{ m *master.Master }

func (h masterHome) settings() (master.Settings, error)    { return h.m.Settings(), nil }
func (h masterHome) applySettings(s master.Settings) error { return h.m.ApplySettings(s) }
func (h masterHome) mailSettings() (mail.Settings, bool, error) {
	s, stored, err := h.m.MailSettings()
	return s, stored, err
}
func (h masterHome) setMail(s mail.Settings, pw *string) error { return h.m.SetMailSettings(s, pw) }
func (h masterHome) fingerprint() (string, error)              { return h.m.Fingerprint(), nil }

// dbHome is the database of a console that is not running.
type dbHome struct{ db *store.DB }

func (h dbHome) settings() (master.Settings, error)    { return master.LoadSettings(h.db) }
func (h dbHome) applySettings(s master.Settings) error { return master.SaveSettings(h.db, s) }
func (h dbHome) mailSettings() (mail.Settings, bool, error) {
	s, err := mail.Load(h.db)
	return s, mail.HasPassword(h.db), err
}

func (h dbHome) setMail(s mail.Settings, pw *string) error {
	if err := mail.Save(h.db, s); err != nil {
		return err
	}
	if pw != nil {
		return mail.SetPassword(h.db, *pw)
	}
	return nil
}

func (h dbHome) fingerprint() (string, error) {
	id, err := app.LoadIdentity(h.db, pb.Role_ROLE_MASTER)
	if err != nil {
		return "", err
	}
	return id.Fingerprint, nil
}
