package master

import (
	"fmt"
	"net"
	"strconv"
	"time"

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
}

// DefaultSettings: not listening, SSL on, the default port.
func DefaultSettings() Settings {
	return Settings{ListenAddress: fmt.Sprintf(":%d", link.DefaultPort), SSL: true}
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
	if err := ValidateListenAddress(s.ListenAddress); err != nil {
		return err
	}
	if s.HeartbeatSeconds < 0 || s.HeartbeatSeconds > 600 {
		return fmt.Errorf("heartbeat %d s is out of range: use 1 to 600 seconds (default 15)", s.HeartbeatSeconds)
	}
	return nil
}

// ValidateListenAddress checks "host:port" or ":port" for listening.
func ValidateListenAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q is not host:port (for example :%d or 0.0.0.0:%d)", addr, link.DefaultPort, link.DefaultPort)
	}
	// Port 0 asks the system for any free port: for tests and demos.
	if port != "0" {
		if _, err := ParsePort(port); err != nil {
			return err
		}
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("listen host %q must be an IP address of this machine, or empty for all", host)
	}
	return nil
}

// ParsePort parses a TCP port number, 1 to 65535.
func ParsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535 (use one above 5000, the same everywhere; the default is %d)", s, link.DefaultPort)
	}
	return p, nil
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
	if err := s.Validate(); err != nil {
		return err
	}
	return db.PutSettings(settingsKey, s)
}

// Fingerprint is this console's certificate fingerprint (hex SHA-256): what
// an agent that dials it is given (lanyard-agent masters add
// HOST:PORT=SHA256:…), so its first contact is checked.
func (m *Master) Fingerprint() string { return m.cfg.Identity.Fingerprint }
