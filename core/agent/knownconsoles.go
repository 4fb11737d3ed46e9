package agent

import (
	"slices"

	"github.com/lanyard/lanyard/core/store"
)

// Consoles that have linked to this agent, by certificate: the agent's
// side of "its certificate pinned" (DESIGN §2). A console presenting one of
// them is known to the failure limiter (link.Admission.Pinned), so strangers
// guessing the agent's name from elsewhere cannot lock it out, even after
// the agent restarts. Knowing a certificate proves nothing about the
// password: a known console still proves it like any other.

const (
	knownConsolesKey = "agent_known_consoles"
	// maxKnownConsoles bounds the list; the oldest is forgotten first.
	maxKnownConsoles = 64
)

type knownConsoles struct {
	Fingerprints []string `json:"fingerprints"` // oldest first
}

func loadKnownConsoles(db *store.DB) (map[string]bool, error) {
	var k knownConsoles
	if _, err := db.GetSettings(knownConsolesKey, &k); err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(k.Fingerprints))
	for _, fp := range k.Fingerprints {
		m[fp] = true
	}
	return m, nil
}

// rememberConsole adds the certificate of a console that has just linked,
// unless it is known already (then nothing is written).
func (a *Agent) rememberConsole(fp string) {
	a.mu.Lock()
	known := fp == "" || a.known[fp]
	a.mu.Unlock()
	if known {
		return
	}
	if a.inMemory() {
		a.mu.Lock()
		if len(a.known) < maxKnownConsoles {
			a.known[fp] = true
		}
		a.mu.Unlock()
		return
	}
	var k knownConsoles
	err := a.cfg.DB.UpdateSettings(knownConsolesKey, &k, func() error {
		if !slices.Contains(k.Fingerprints, fp) {
			k.Fingerprints = append(k.Fingerprints, fp)
		}
		if n := len(k.Fingerprints) - maxKnownConsoles; n > 0 {
			k.Fingerprints = slices.Delete(k.Fingerprints, 0, n)
		}
		return nil
	})
	if err != nil {
		a.log.WithError(err).Warn("could not remember the console's certificate")
		return
	}
	a.mu.Lock()
	a.known = make(map[string]bool, len(k.Fingerprints))
	for _, f := range k.Fingerprints {
		a.known[f] = true
	}
	a.mu.Unlock()
}
