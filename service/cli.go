package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/core/wire/pb"
)

type env struct {
	ctx         context.Context
	dataDir     string
	logDir      string
	logLevel    string
	logJSON     bool
	serviceName string
	asService   bool
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer

	// Seams for tests; nil means the real thing.
	privileged func() bool
	firewall   runner

	// liveStatus, when set, replaces asking the running agent over its
	// control socket for `status` (tests).
	liveStatus func(ctx context.Context, r *StatusReport) error
}

// dir is the data directory, absolute: --data-dir or the default.
func (e *env) dir() (string, error) {
	d := e.dataDir
	if d == "" {
		var err error
		if d, err = app.AgentDataDir(); err != nil {
			return "", err
		}
	}
	return filepath.Abs(d)
}

// logDirectory is the log directory, absolute: --log-dir, or the default
// for the data directory (app.AgentLogDir).
func (e *env) logDirectory(dataDir string) (string, error) {
	if e.logDir != "" {
		return filepath.Abs(e.logDir)
	}
	return app.AgentLogDir(dataDir), nil
}

func (e *env) isPrivileged() bool {
	if e.privileged != nil {
		return e.privileged()
	}
	return app.IsPrivileged()
}

func (e *env) openDB(log logrus.FieldLogger) (*store.DB, error) {
	dir, err := e.dir()
	if err != nil {
		return nil, err
	}
	if err := app.EnsurePrivateDir(dir); err != nil {
		return nil, err
	}
	return app.OpenStore(dir, "agent", log)
}

// Main runs the agent's command line and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainEnv(&env{ctx: context.Background(), stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

// Run is main's body for the agent binary.
func Run() int { return Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr) }

func mainEnv(e *env, args []string) int {
	return cmdline.Execute(e.ctx, rootCmd(e), args, e.stderr)
}

func rootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "lanyard-agent",
		Short: "Lanyard agent: lets Lanyard consoles manage this server",
		Long: `Lanyard agent: the service on each server that Lanyard consoles manage. It
listens for consoles or dials them, authenticates them with a management
password that never crosses the wire, optionally over TLS, and answers their
requests.

Start with init (the server's name, the password, and a listen address or the
consoles to dial), then install and start the system service. Run as root,
the agent keeps its data in ` + app.SystemAgentDataDir() + ` and its log in
` + app.SystemAgentLogDir() + `.

Exit codes: 0 success, 1 failure, 2 a mistake in the command line or a
refusal before anything was done.`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if _, err := logrus.ParseLevel(e.logLevel); err != nil {
				return cmdline.Usagef("--log-level %q: use debug, info, warning or error", e.logLevel)
			}
			if err := validServiceName(e.serviceName); err != nil {
				return cmdline.Usage(err)
			}
			return nil
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&e.dataDir, "data-dir", "", "data directory (default: "+app.SystemAgentDataDir()+" as root/Administrator, else the user's config dir)")
	pf.StringVar(&e.logDir, "log-dir", "", "log directory (default: "+app.SystemAgentLogDir()+" with the default data dir as root, else DATA-DIR/log)")
	pf.StringVar(&e.logLevel, "log-level", "info", "log level: debug, info, warning, error")
	pf.BoolVar(&e.logJSON, "log-json", false, "log JSON lines instead of text")
	// Hidden: a second service beside the real one (the install test
	// uses it).
	pf.StringVar(&e.serviceName, "service-name", DefaultServiceName, "name of the system service")
	_ = pf.MarkHidden("service-name")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdline.Usage(err) })
	root.AddCommand(
		initCmd(e), runCmd(e), diagnoseCmd(e), portCheckCmd(e), logsCmd(e),
		installCmd(e), uninstallCmd(e), controlCmd(e, "start"), controlCmd(e, "stop"), controlCmd(e, "restart"),
		statusCmd(e), simulateCmd(e),
	)
	// Settings that change while the agent runs go through its control
	// socket (configcmds.go).
	root.AddCommand(configCmds(e)...)
	root.AddCommand(taskCmd(e))
	return root
}

func initCmd(e *env) *cobra.Command {
	var name, listen, ssl, management string
	var masters []string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "init --name NAME --password-stdin [flags]",
		Short: "Create or update the agent's settings",
		Long: `Create or update the agent's settings. The name and management password must
be entered the same on every console that manages this server. The password
is read from standard input and only a key derived from it is stored; at a
terminal, pressing Enter instead generates a long random one, shown once.
It prints this agent's certificate fingerprint: give it to the console when
adding this server, so the console checks its first contact.`,
		Example: `  printf '%s\n' "$PW" | lanyard-agent init --name FS01 --password-stdin --listen :16888 --ssl on
  printf '%s\n' "$PW" | lanyard-agent init --name FS02 --password-stdin --master console.example.lan:16888=SHA256:9f86…0a08
  lanyard-agent init --name FS03 --password-stdin --listen :16888   # at a terminal: Enter generates a password`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := agent.InitOptions{Name: name}
			if name != "" {
				if err := auth.ValidateName(name); err != nil {
					return cmdline.Usage(err)
				}
			}
			var err error
			if o.SSL, err = cmdline.ParseOnOff("--ssl", ssl); err != nil {
				return err
			}
			if o.Management, err = cmdline.ParseOnOff("--management", management); err != nil {
				return err
			}
			if cmd.Flags().Changed("listen") {
				if listen != "off" && listen != "" {
					if _, err := address.ParseListen(listen); err != nil {
						return cmdline.Usage(err)
					}
				}
				o.Listen = &listen
			}
			if cmd.Flags().Changed("master") {
				o.Masters = masters
				seen := map[string]bool{}
				for _, m := range masters {
					addr, _, err := agent.ParseMasterSpec(m)
					if err != nil {
						return cmdline.Usage(err)
					}
					if seen[strings.ToLower(addr)] {
						return cmdline.Usagef("master %s is given twice", addr)
					}
					seen[strings.ToLower(addr)] = true
				}
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(dir, app.AgentDB)); errors.Is(err, os.ErrNotExist) && (name == "" || !passwordStdin) {
				return cmdline.Usagef("a first init needs --name and --password-stdin")
			}
			if passwordStdin {
				if o.Password, err = app.ReadNewPassword(e.stdin, e.stderr); err != nil {
					return cmdline.Usage(err)
				}
			}
			// A running agent holds its database: hand it the changes.
			if c, err := agent.DialControl(dir); err == nil {
				return e.initLive(c, o)
			} else if !errors.Is(err, agent.ErrNotRunning) {
				return err
			}
			db, err := e.openDB(nil)
			if err != nil {
				return err
			}
			defer db.Close()
			s, warnings, err := agent.Init(db, o)
			if err != nil {
				return cmdline.Usage(err)
			}
			id, err := app.LoadIdentity(db, pb.Role_ROLE_AGENT)
			if err != nil {
				return err
			}
			ms, _ := db.Masters()
			fmt.Fprintf(e.stdout, "name        %s\n", s.Name)
			l := s.Listen
			if l == "" {
				l = "off"
			}
			fmt.Fprintf(e.stdout, "listen      %s\n", l)
			fmt.Fprintf(e.stdout, "ssl         %s\n", cmdline.OnOff(s.SSL))
			fmt.Fprintf(e.stdout, "management  %s\n", cmdline.OnOff(s.Management))
			for _, m := range ms {
				fmt.Fprintf(e.stdout, "master      %s%s\n", m.Address, expects(m.PinnedCert))
			}
			printFingerprint(e, id.Fingerprint)
			for _, w := range warnings {
				fmt.Fprintln(e.stderr, "warning:", w)
			}
			if !s.SSL {
				fmt.Fprintf(e.stderr, "warning: %s; %s\n", link.SSLOffRisk, link.SSLAdvice)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "this server's name: 1–63 letters, digits, '-', '_' or '.'")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the management password from standard input")
	cmd.Flags().StringVar(&listen, "listen", "", "accept consoles on HOST:PORT (e.g. :16888), or off")
	cmd.Flags().StringVar(&ssl, "ssl", "", "on or off (default on); must match every console")
	cmd.Flags().StringArrayVar(&masters, "master", nil, "console HOST:PORT to dial, or HOST:PORT=SHA256:… to check its certificate at the first contact (repeatable; replaces the list)")
	cmd.Flags().StringVar(&management, "management", "", "on or off: off refuses every console")
	return cmd
}

func diagnoseCmd(e *env) *cobra.Command {
	var ssl string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "diagnose HOST:PORT",
		Short: "Test the link to a console or agent step by step",
		Long: `Test the link to HOST:PORT step by step: name lookup, TCP, SSL, hello and
version, printing each result and, on failure, the likely cause and fix.
With this agent's settings it also checks the password. Exit 0 only when all
steps pass.`,
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := address.ParseDial(args[0])
			if err != nil {
				return cmdline.Usage(err)
			}
			addr := a.String()
			sslOn, err := cmdline.ParseOnOff("--ssl", ssl)
			if err != nil {
				return err
			}
			o := link.DiagnoseOptions{Address: addr, Options: link.Options{HandshakeTimeout: timeout}}
			// Use this agent's identity, name and key when it has them,
			// so the password is checked too; and the certificate pinned
			// for a master at this address, so no proof goes to an
			// impostor there.
			id, settings, pin := diagnoseIdentity(e, addr)
			o.Identity = id
			o.PinnedCert, o.TrustFix = pin, "lanyard-agent masters trust "+addr
			if settings != nil {
				o.Options.SSL = settings.SSL
				t := link.Target{Name: settings.Name}
				copy(t.Key[:], settings.Key)
				t.KDF = auth.KDFParams{Time: settings.KDF.Time, MemoryKiB: settings.KDF.MemoryKiB, Threads: settings.KDF.Threads}
				o.Target = &t
			}
			if sslOn != nil {
				o.Options.SSL = *sslOn
			}
			fmt.Fprintf(e.stdout, "Diagnosing %s (SSL %s)\n", addr, cmdline.OnOff(o.Options.SSL))
			ok := link.Diagnose(cmd.Context(), o, func(s link.Step) {
				mark := "ok  "
				if !s.OK {
					mark = "FAIL"
				}
				fmt.Fprintf(e.stdout, "  [%s] %-12s %s\n", mark, s.Name, s.Detail)
				if !s.OK && s.Fix != "" {
					fmt.Fprintf(e.stdout, "         fix: %s\n", s.Fix)
				}
			})
			if !ok {
				return errors.New("the link does not work; see the failing step above")
			}
			fmt.Fprintln(e.stdout, "All steps passed.")
			return nil
		},
	}
	cmd.Flags().StringVar(&ssl, "ssl", "", "on or off (default: this agent's setting, else off)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "time allowed for each step")
	return cmd
}

// diagnoseIdentity loads the agent's identity and settings, and the
// certificate pinned for a master at addr, when its database can be read.
// A running agent holds it: then a throwaway identity probes without the
// password step, and the pin comes from the running agent.
func diagnoseIdentity(e *env, addr string) (*link.Identity, *agent.Settings, string) {
	db, err := e.openDB(nil)
	if err == nil {
		defer db.Close()
		s, found, err := agent.LoadSettings(db)
		id, idErr := app.LoadIdentity(db, pb.Role_ROLE_AGENT)
		ms, msErr := db.Masters()
		if idErr == nil && msErr == nil {
			pin := ""
			for _, m := range ms {
				if strings.EqualFold(m.Address, addr) {
					pin = m.PinnedCert
				}
			}
			if err == nil && found && s.Initialized() {
				return id, &s, pin
			}
			return id, nil, pin
		}
	}
	pin := ""
	if dir, err := e.dir(); err == nil {
		if c, err := agent.DialControl(dir); err == nil {
			if ms, err := c.Masters(); err == nil {
				for _, m := range ms {
					if strings.EqualFold(m.Address, addr) {
						pin = m.Fingerprint
					}
				}
			}
		}
	}
	certPEM, keyPEM, err := link.NewCertificate("lanyard diagnose")
	if err != nil {
		return &link.Identity{Role: pb.Role_ROLE_AGENT}, nil, pin
	}
	cert, fp, _ := link.LoadCertificate(certPEM, keyPEM)
	return &link.Identity{Role: pb.Role_ROLE_AGENT, InstallID: auth.NewID(), BootID: auth.NewID(),
		Software: "lanyard-agent " + version.String() + " (diagnose)", Certificate: cert, Fingerprint: fp}, nil, pin
}

// initLive applies init's flags to the running agent, one change at a
// time, in the order a person would: address and SSL, management, masters,
// and the password last. Renaming needs the agent stopped: the name is
// part of the key every console holds.
func (e *env) initLive(c *agent.ControlClient, o agent.InitOptions) error {
	defer clear(o.Password)
	st, err := c.Status()
	if err != nil {
		return err
	}
	if o.Name != "" && !strings.EqualFold(o.Name, st.Name) {
		return cmdline.Usagef("the running agent is named %s: stop it (lanyard-agent stop) to rename it, since the name is part of the key", st.Name)
	}
	var changes []string
	apply := func(ch []string, err error) error {
		changes = append(changes, ch...)
		return err
	}
	if o.Listen != nil {
		if err := apply(c.SetListen(*o.Listen)); err != nil {
			return err
		}
	}
	if o.SSL != nil {
		if err := apply(c.SetSSL(*o.SSL)); err != nil {
			return err
		}
	}
	if o.Management != nil {
		if err := apply(c.SetManagement(*o.Management)); err != nil {
			return err
		}
	}
	if o.Masters != nil {
		want := map[string]bool{}
		for _, m := range o.Masters {
			addr, _, _ := agent.ParseMasterSpec(m)
			want[strings.ToLower(addr)] = true
		}
		have := map[string]string{} // address → expected certificate
		for _, m := range st.Masters {
			have[strings.ToLower(m.Address)] = m.Fingerprint
			if !want[strings.ToLower(m.Address)] {
				if err := apply(c.RemoveMaster(m.Address)); err != nil {
					return err
				}
			}
		}
		for _, m := range o.Masters {
			addr, fp, _ := agent.ParseMasterSpec(m)
			pin, known := have[strings.ToLower(addr)]
			switch {
			case !known:
				err = apply(c.AddMaster(m))
			case fp != "" && fp != pin:
				err = apply(c.TrustMaster(m))
			}
			if err != nil {
				return err
			}
		}
	}
	if len(o.Password) > 0 {
		if err := apply(c.SetPassword(o.Password)); err != nil {
			return err
		}
	}
	if len(changes) == 0 {
		fmt.Fprintln(e.stdout, "nothing to change")
	} else {
		for _, ch := range changes {
			fmt.Fprintln(e.stdout, ch)
		}
		fmt.Fprintln(e.stdout, "applied to the running agent")
	}
	printFingerprint(e, st.Fingerprint)
	return nil
}

// printFingerprint shows this agent's certificate fingerprint, and what it
// is for.
func printFingerprint(e *env, fp string) {
	if fp == "" {
		return
	}
	fmt.Fprintf(e.stdout, "certificate %s\n", link.FormatFingerprint(fp))
	fmt.Fprintln(e.stderr, "Give this certificate fingerprint to the console when you add this server, so its first contact is checked.")
}

// expects words the certificate a master must present, "" when it trusts
// the next one.
func expects(fp string) string {
	if fp == "" {
		return ""
	}
	return " (expects " + link.FormatFingerprint(fp) + ")"
}
