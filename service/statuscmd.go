package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

// StatusReport is what `lanyard-agent status` says; --json prints it as
// is.
type StatusReport struct {
	Service  string `json:"service"`
	Platform string `json:"platform"`
	// State is running, stopped, failed, not installed or unknown.
	State      State  `json:"state"`
	StateError string `json:"state_error,omitempty"`
	DataDir    string `json:"data_dir"`
	LogFile    string `json:"log_file"`
	// Settings are read from the database when it can be read (a running
	// agent holds it); SettingsError says why not.
	Settings      *SettingsReport `json:"settings,omitempty"`
	SettingsError string          `json:"settings_error,omitempty"`
	// Links is each console link as the running agent reports it. The
	// local control channel fills it in (env.liveStatus); empty until then.
	Links []LinkReport `json:"links,omitempty"`
	// Backups is the agent's backup tasks by state, as its consoles count
	// them ("2 ok · 1 failed"); "" when they could not be read.
	Backups string `json:"backups,omitempty"`
}

// SettingsReport is the agent's configuration, never its key.
type SettingsReport struct {
	Name       string   `json:"name"`
	Listen     string   `json:"listen"` // "" when not listening
	SSL        bool     `json:"ssl"`
	Management bool     `json:"management"`
	Masters    []string `json:"masters"`
	// Fingerprint is this agent's certificate's (hex SHA-256): what a
	// console's user gives when adding it, so the first contact is checked.
	Fingerprint string `json:"fingerprint,omitempty"`
	// MasterCerts maps a master to the certificate it must present.
	MasterCerts map[string]string `json:"master_certificates,omitempty"`
}

// LinkReport is one console link of the running agent.
type LinkReport struct {
	Peer      string    `json:"peer"`      // the master's address(es), or the console that dialed in
	Direction string    `json:"direction"` // "dialed" or "accepted"
	State     string    `json:"state"`     // e.g. "connected", "retrying"
	Since     time.Time `json:"since,omitzero"`
	RTTMillis float64   `json:"rtt_ms,omitempty"` // while connected, the round trip
	LastError string    `json:"last_error,omitempty"`
	// NextTry is when a master that is down is dialed again.
	NextTry time.Time `json:"next_try,omitzero"`
	// Via is, for a master with several addresses, the one the link came
	// through; AddressErrors say why the others failed at their last try.
	Via           string               `json:"via,omitempty"`
	AddressErrors []agent.AddressError `json:"address_errors,omitempty"`
	// labels name the addresses in the text: the port alone when they
	// share a host.
	labels func(string) string
}

// statusLockTimeout is how long status waits for the database: a running
// agent holds it for good.
const statusLockTimeout = 300 * time.Millisecond

func statusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show the service's state and the agent's settings",
		Long: `Show whether the agent's service is running, stopped or not installed, the
agent's name, listen address, SSL and management settings and masters (read
from its database; pass --data-dir when the service was installed with one),
and its backup tasks by state.`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := e.status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			printStatus(e.stdout, r)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}

func (e *env) status(ctx context.Context) (*StatusReport, error) {
	p, err := e.serviceParams()
	if err != nil {
		return nil, err
	}
	r := &StatusReport{Service: p.Name, DataDir: p.DataDir, LogFile: filepath.Join(p.LogDir, app.AgentLogFile)}
	if s, err := newService(nil, p); err != nil {
		r.State, r.StateError = StateUnknown, err.Error()
	} else {
		r.Platform = s.Platform()
		r.State, err = serviceState(s, p.Name)
		if err != nil {
			r.StateError = err.Error()
		}
	}
	r.Settings, err = settingsReport(p.DataDir)
	if err != nil {
		r.SettingsError = err.Error()
	}
	live := e.liveStatus
	if live == nil {
		live = liveStatusFromControl(p.DataDir)
	}
	// Ask the agent itself whenever one answers, under a service manager
	// or in the foreground.
	if err := live(ctx, r); err != nil {
		r.StateError = err.Error()
	}
	if r.Settings != nil { // an agent set up, whose tasks can be read
		r.Backups = e.backupsLine(ctx)
	}
	return r, nil
}

// backupsLine counts the agent's tasks by state, through the running agent
// or from its database: "2 ok · 1 failed"; "" when they cannot be read.
func (e *env) backupsLine(ctx context.Context) string {
	res, err := e.taskDo(ctx, agent.OpTaskList, agent.TaskArgs{}, nil, false)
	if err != nil {
		return ""
	}
	var c health.Counts
	for _, info := range res.Tasks {
		c.Add(info.State(), 1)
	}
	return c.String()
}

// settingsReport reads the settings without creating anything.
func settingsReport(dataDir string) (*SettingsReport, error) {
	path := filepath.Join(dataDir, app.AgentDB)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("not initialised: no %s in %s (run lanyard-agent init)", app.AgentDB, dataDir)
		}
		return nil, err
	}
	db, err := store.Open(path, store.Options{Kind: "agent", LockTimeout: statusLockTimeout})
	if err != nil {
		var le *store.LockedError
		if errors.As(err, &le) {
			who := "the running agent"
			if le.PID > 0 {
				who += fmt.Sprintf(" (pid %d)", le.PID)
			}
			return nil, fmt.Errorf("not readable while %s holds the database", who)
		}
		return nil, err
	}
	defer db.Close()
	s, _, err := agent.LoadSettings(db)
	if err != nil {
		return nil, err
	}
	if !s.Initialized() {
		return nil, errors.New("not initialised: run lanyard-agent init --name NAME --password-stdin")
	}
	ms, err := db.Masters()
	if err != nil {
		return nil, err
	}
	fp, err := agent.Fingerprint(db)
	if err != nil {
		return nil, err
	}
	rep := &SettingsReport{Name: s.Name, Listen: s.Listen, SSL: s.SSL, Management: s.Management, Masters: []string{},
		Fingerprint: fp, MasterCerts: map[string]string{}}
	for _, m := range ms {
		rep.Masters = append(rep.Masters, m.Spec())
		if m.PinnedCert != "" {
			rep.MasterCerts[m.Spec()] = m.PinnedCert
		}
	}
	return rep, nil
}

func printStatus(w io.Writer, r *StatusReport) {
	state := string(r.State)
	if r.Platform != "" {
		state += " (" + r.Platform + ")"
	}
	fmt.Fprintf(w, "service     %s: %s\n", r.Service, state)
	if r.StateError != "" {
		fmt.Fprintf(w, "            %s\n", r.StateError)
	}
	fmt.Fprintf(w, "data dir    %s\n", r.DataDir)
	fmt.Fprintf(w, "log file    %s\n", r.LogFile)
	if r.Settings == nil {
		fmt.Fprintf(w, "settings    %s\n", r.SettingsError)
	} else {
		s := r.Settings
		listen := s.Listen
		if listen == "" {
			listen = "off"
		}
		fmt.Fprintf(w, "name        %s\n", s.Name)
		if s.Fingerprint != "" {
			fmt.Fprintf(w, "certificate %s\n", link.FormatFingerprint(s.Fingerprint))
		}
		fmt.Fprintf(w, "listen      %s\n", listen)
		fmt.Fprintf(w, "ssl         %s\n", sslLine(s.SSL))
		fmt.Fprintf(w, "management  %s\n", human.OnOff(s.Management))
		for _, m := range s.Masters {
			if fp := s.MasterCerts[m]; fp != "" {
				m += " (expects " + link.FormatFingerprint(fp) + ")"
			}
			fmt.Fprintf(w, "master      %s\n", m)
		}
	}
	if r.Backups != "" {
		fmt.Fprintf(w, "backups     %s (lanyard-agent task list)\n", r.Backups)
	}
	for _, l := range r.Links {
		label := l.labels
		if label == nil {
			label = func(a string) string { return a }
		}
		line := fmt.Sprintf("link        %s %s: %s", l.Direction, l.Peer, l.State)
		if l.Via != "" {
			line += " through " + label(l.Via)
		}
		if !l.Since.IsZero() {
			line += " since " + l.Since.Local().Format("2006-01-02 15:04:05")
		}
		if rtt := human.RoundTrip(human.FromMillis(l.RTTMillis)); rtt != "" {
			line += ", round trip " + rtt
		}
		if l.LastError != "" && l.Via == "" {
			line += " (" + l.LastError + ")"
		}
		if !l.NextTry.IsZero() {
			line += "; next try at " + l.NextTry.Local().Format(time.TimeOnly) + " (lanyard-agent masters retry dials it now)"
		}
		fmt.Fprintln(w, line)
		for _, e := range l.AddressErrors {
			fmt.Fprintf(w, "              %s: %s (%s)\n", label(e.Address), e.Error, e.At.Local().Format(time.TimeOnly))
		}
	}
}

// sslLine is the SSL setting with what it means when off (DESIGN §2).
func sslLine(on bool) string {
	if on {
		return "on"
	}
	return "off: " + link.SSLOffRisk + "; " + link.SSLAdvice
}
