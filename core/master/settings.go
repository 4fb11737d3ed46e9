package master

import (
	"fmt"
	"time"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

// settingsKey is the console's entry in the settings bucket.
const settingsKey = "console"

// Settings are the console's Remote Management Settings.
type Settings struct {
	// Listen accepts inbound slaves on ListenAddress.
	Listen        bool   `json:"listen"`
	ListenAddress string `json:"listen_address"` // host:port; ":16888" is every address
	// SSL must match on every console and slave.
	SSL bool `json:"ssl"`
	// HeartbeatSeconds is how often links are pinged; 0 means 15 s.
	HeartbeatSeconds int `json:"heartbeat_seconds,omitempty"`
	// PublicHost is where agents on the Internet find this console: the
	// office router's public address or name (reach.go). The console
	// does not use it; it is what a new site's agent is given.
	PublicHost string `json:"public_host,omitempty"`
	// PublicPorts are the ports the router forwards to this console's
	// port; none means the one it listens on.
	PublicPorts []int `json:"public_ports,omitempty"`
	// AlertGraceSeconds is how long a backup stays failed or overdue, or
	// a slave offline, before a notification or a mail says so; 0 means
	// 60 s.
	AlertGraceSeconds int `json:"alert_grace_seconds,omitempty"`
}

// AlertGrace is the grace period of backup alerts these settings ask for.
func (s Settings) AlertGrace() time.Duration {
	if s.AlertGraceSeconds <= 0 {
		return health.DefaultGrace
	}
	return time.Duration(s.AlertGraceSeconds) * time.Second
}

// DefaultSettings: not listening, SSL on, the default port.
func DefaultSettings() Settings {
	return Settings{ListenAddress: fmt.Sprintf(":%d", address.DefaultPort), SSL: true}
}

// Heartbeat is the ping interval these settings ask for.
func (s Settings) Heartbeat() time.Duration {
	if s.HeartbeatSeconds <= 0 {
		return link.DefaultHeartbeat
	}
	return time.Duration(s.HeartbeatSeconds) * time.Second
}

// Validate checks the settings a user typed.
func (s Settings) Validate() error {
	if _, err := address.ParseListen(s.ListenAddress); err != nil {
		return err
	}
	if s.HeartbeatSeconds < 0 || s.HeartbeatSeconds > 600 {
		return fmt.Errorf("heartbeat %d s is out of range: use 1 to 600 seconds (default 15)", s.HeartbeatSeconds)
	}
	if s.AlertGraceSeconds < 0 || s.AlertGraceSeconds > 24*3600 {
		return fmt.Errorf("alert grace %d s is out of range: use 1 s to 24 h (default 60 s)", s.AlertGraceSeconds)
	}
	return s.ValidatePublic()
}

// LoadSettings reads the console's settings, or the defaults.
func LoadSettings(db *store.DB) (Settings, error) {
	s := DefaultSettings()
	if _, err := db.GetSettings(settingsKey, &s); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// SaveSettings validates and stores the console's settings.
func SaveSettings(db *store.DB, s Settings) error {
	s, err := s.Normalized()
	if err != nil {
		return err
	}
	return db.PutSettings(settingsKey, s)
}

// Normalized is s checked (Validate), its listening address written as
// the console keeps and shows it: ":16888" for a port given alone.
func (s Settings) Normalized() (Settings, error) {
	if err := s.Validate(); err != nil {
		return s, err
	}
	a, err := address.ParseListen(s.ListenAddress)
	if err != nil {
		return s, err
	}
	s.ListenAddress = a.String()
	return s, nil
}

// Fingerprint is this console's certificate fingerprint (hex SHA-256): what
// an agent that dials it is given (lanyard-agent masters add
// HOST:PORT=SHA256:…), so its first contact is checked.
func (m *Master) Fingerprint() string { return m.cfg.Identity.Fingerprint }
