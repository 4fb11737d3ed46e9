package app

import (
	"fmt"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Database file names inside a data directory.
const (
	ConsoleDB = "console.db"
	AgentDB   = "agent.db"
)

// OpenStore opens the database of kind "console" or "agent" in dataDir.
func OpenStore(dataDir, kind string, log logrus.FieldLogger) (*store.DB, error) {
	file := ConsoleDB
	if kind == "agent" {
		file = AgentDB
	}
	return store.Open(filepath.Join(dataDir, file), store.Options{Kind: kind, Logger: log})
}

// LoadIdentity returns this installation's identity, creating the install
// ID and TLS certificate on first start. The boot ID is new every call.
func LoadIdentity(db *store.DB, role pb.Role) (*link.Identity, error) {
	software := "lanyard " + version.String()
	cn := "lanyard console"
	if role == pb.Role_ROLE_AGENT {
		software = version.AgentName + " " + version.String()
		cn = "lanyard agent"
	}
	stored, err := db.LoadOrCreateIdentity(func() (store.Identity, error) {
		certPEM, keyPEM, err := link.NewCertificate(cn)
		if err != nil {
			return store.Identity{}, err
		}
		return store.Identity{InstallID: auth.NewID(), CertPEM: certPEM, KeyPEM: keyPEM}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading this installation's identity: %w", err)
	}
	return link.NewIdentity(role, software, stored.InstallID, stored.CertPEM, stored.KeyPEM)
}
