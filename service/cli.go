package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"

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
	// taskHold, when set, is called before each task operation; true
	// holds the operation until its context ends (tests: a search
	// caught under way).
	taskHold func(op string, args agent.TaskArgs) bool
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
func Run() int {
	defer app.ProfileFromEnv("lanyard-agent")()
	return Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

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
	root.SetFlagErrorFunc(cmdline.FlagError)
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

// initFlags are lanyard-agent init's flags.
type initFlags struct {
	name, listen, ssl, management string
	masters                       []string
	passwordStdin                 bool
}

func initCmd(e *env) *cobra.Command {
	var f initFlags
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
			o, err := f.options(cmd)
			if err != nil {
				return err
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(dir, app.AgentDB)); errors.Is(err, os.ErrNotExist) && (f.name == "" || !f.passwordStdin) {
				return cmdline.Usagef("a first init needs --name and --password-stdin")
			}
			if f.passwordStdin {
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
			return e.initStored(o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "this server's name: 1–63 letters, digits, '-', '_' or '.'")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the management password from standard input")
	fl.StringVar(&f.listen, "listen", "", "accept consoles on HOST:PORT (e.g. :16888), or off")
	fl.StringVar(&f.ssl, "ssl", "", "on or off (default on); must match every console")
	fl.StringArrayVar(&f.masters, "master", nil, "console HOST:PORT to dial, or HOST:PORT=SHA256:… to check its certificate at the first contact (repeatable; replaces the list)")
	fl.StringVar(&f.management, "management", "", "on or off: off refuses every console")
	return cmd
}

// options are the changes the flags ask for, checked as far as they can
// be without the settings they change (the password is read later).
func (f *initFlags) options(cmd *cobra.Command) (agent.InitOptions, error) {
	o := agent.InitOptions{Name: f.name}
	if f.name != "" {
		if err := auth.ValidateName(f.name); err != nil {
			return o, cmdline.Usage(err)
		}
	}
	var err error
	if o.SSL, err = cmdline.ParseOnOff("--ssl", f.ssl); err != nil {
		return o, err
	}
	if o.Management, err = cmdline.ParseOnOff("--management", f.management); err != nil {
		return o, err
	}
	if cmd.Flags().Changed("listen") {
		if f.listen != "off" && f.listen != "" {
			if _, err := address.ParseListen(f.listen); err != nil {
				return o, cmdline.Usage(err)
			}
		}
		o.Listen = &f.listen
	}
	if cmd.Flags().Changed("master") {
		if err := distinctMasters(f.masters); err != nil {
			return o, err
		}
		o.Masters = f.masters
	}
	return o, nil
}

// distinctMasters checks every --master and that no address is given
// twice, within one master or across them.
func distinctMasters(masters []string) error {
	seen := map[string]bool{}
	for _, m := range masters {
		addrs, _, err := agent.ParseMasterSpec(m)
		if err != nil {
			return cmdline.Usage(err)
		}
		for _, addr := range addrs {
			if seen[strings.ToLower(addr)] {
				return cmdline.Usagef("master %s is given twice", addr)
			}
			seen[strings.ToLower(addr)] = true
		}
	}
	return nil
}

// initStored carries out init on the database of an agent that is not
// running, and prints the settings that result.
func (e *env) initStored(o agent.InitOptions) error {
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
	fmt.Fprintf(e.stdout, "listen      %s\n", cmp.Or(s.Listen, "off"))
	fmt.Fprintf(e.stdout, "ssl         %s\n", human.OnOff(s.SSL))
	fmt.Fprintf(e.stdout, "management  %s\n", human.OnOff(s.Management))
	for _, m := range ms {
		fmt.Fprintf(e.stdout, "master      %s%s\n", m.Spec(), expects(m.PinnedCert))
	}
	printFingerprint(e, id.Fingerprint)
	for _, w := range warnings {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	if !s.SSL {
		fmt.Fprintf(e.stderr, "warning: %s; %s\n", link.SSLOffRisk, link.SSLAdvice)
	}
	if next := e.initNext(); next != "" {
		fmt.Fprintln(e.stderr, next)
	}
	return nil
}

// initNext is what to do once the settings are stored while the agent
// does not run: install and start its service, or start it; "" when the
// service manager cannot say.
func (e *env) initNext() string {
	p, err := e.serviceParams()
	if err != nil {
		return ""
	}
	s, err := newService(nil, p)
	if err != nil {
		return ""
	}
	dirs := ""
	if e.dataDir != "" {
		dirs += " --data-dir " + p.DataDir
	}
	if e.logDir != "" {
		dirs += " --log-dir " + p.LogDir
	}
	switch state, _ := serviceState(s, p.Name); state {
	case StateNotInstalled:
		return fmt.Sprintf("Next, as root (Administrator): lanyard-agent install%s%s, then lanyard-agent start%s, to run it as a service; lanyard-agent run%s tries it in the foreground.",
			dirs, e.serviceFlag(), e.serviceFlag(), dirs)
	case StateStopped, StateFailed:
		return fmt.Sprintf("Next, as root (Administrator): lanyard-agent start%s runs the service with these settings.", e.serviceFlag())
	}
	return ""
}

func diagnoseCmd(e *env) *cobra.Command {
	var ssl string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "diagnose HOST:PORT[,HOST:PORT…]",
		Short: "Test the link to a console or agent step by step",
		Long: `Test the link to HOST:PORT step by step: name lookup, TCP, SSL, hello and
version, printing each result and, on failure, the likely cause and fix.
With this agent's settings it also checks the password. Give several
addresses of one console, separated by commas (as in masters add), and each
is diagnosed in turn, then a summary says which work. Exit 0 only when every
step passes at every address.`,
		Example: "  lanyard-agent diagnose console.example.lan:16888\n" +
			"  lanyard-agent diagnose billsit.example.com:16888,billsit.example.com:50000",
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := address.ParseDialList(args[0])
			if err != nil {
				return cmdline.Usage(err)
			}
			sslOn, err := cmdline.ParseOnOff("--ssl", ssl)
			if err != nil {
				return err
			}
			o := diagnoseOptions(e, list[0].String(), timeout, sslOn)
			works, fails := diagnoseEach(cmd.Context(), e, o, list)
			return diagnoseVerdict(e, len(list), works, fails)
		},
	}
	cmd.Flags().StringVar(&ssl, "ssl", "", "on or off (default: this agent's setting, else off)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "time allowed for each step")
	return cmd
}

// diagnoseOptions are diagnose's options for the console or agent whose
// first address is first; sslOn, when set, is the --ssl flag.
func diagnoseOptions(e *env, first string, timeout time.Duration, sslOn *bool) link.DiagnoseOptions {
	// Use this agent's identity, name and key when it has them, so the
	// password is checked too; and the certificate pinned for the master
	// at these addresses (one console, one certificate), so no proof goes
	// to an impostor there.
	self := diagnoseIdentity(e, first)
	o := link.DiagnoseOptions{Identity: self.id, Options: link.Options{HandshakeTimeout: timeout},
		PinnedCert: self.pin, TrustFix: "lanyard-agent masters trust " + first, Unchecked: self.unchecked}
	if self.running != nil {
		// The running agent holds the database: its SSL setting is the
		// one a link would use.
		o.Options.SSL = self.running.SSL
	}
	if s := self.settings; s != nil {
		o.Options.SSL = s.SSL
		t := link.Target{Name: s.Name}
		copy(t.Key[:], s.Key)
		t.KDF = auth.KDFParams(s.KDF)
		o.Target = &t
	}
	if sslOn != nil {
		o.Options.SSL = *sslOn
	}
	return o
}

// diagnoseEach diagnoses every address of list in turn, with o, and
// returns those that work and those that do not, with the failing step.
func diagnoseEach(ctx context.Context, e *env, o link.DiagnoseOptions, list []address.HostPort) (works, fails []string) {
	for i, a := range list {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		o.Address = a.String()
		if failed := diagnoseOne(ctx, e, o); failed != "" {
			fails = append(fails, o.Address+" ("+failed+")")
		} else {
			works = append(works, o.Address)
		}
	}
	return works, fails
}

// diagnoseVerdict prints what diagnosing n addresses came to, and is an
// error unless every address works.
func diagnoseVerdict(e *env, n int, works, fails []string) error {
	if n == 1 {
		if len(fails) > 0 {
			return errors.New("the link does not work; see the failing step above")
		}
		fmt.Fprintln(e.stdout, "All steps passed.")
		return nil
	}
	fmt.Fprintln(e.stdout)
	switch {
	case len(fails) == 0:
		fmt.Fprintf(e.stdout, "Every address works: %s.\n", strings.Join(works, ", "))
		return nil
	case len(works) == 0:
		fmt.Fprintf(e.stdout, "No address works: %s.\n", strings.Join(fails, "; "))
		return errors.New("the link does not work at any address; see the failing steps above")
	}
	fmt.Fprintf(e.stdout, "Works: %s.\nDoes not work: %s.\n", strings.Join(works, ", "), strings.Join(fails, "; "))
	return fmt.Errorf("the agent can link through %s, but not through every address; see the failing steps above", strings.Join(works, ", "))
}

// diagnoseOne diagnoses the link to o.Address, printing each step, and
// returns the failing step in a few words, or "" when every step passed.
func diagnoseOne(ctx context.Context, e *env, o link.DiagnoseOptions) string {
	fmt.Fprintf(e.stdout, "Diagnosing %s (SSL %s)\n", o.Address, human.OnOff(o.Options.SSL))
	failed := ""
	link.Diagnose(ctx, o, func(s link.Step) {
		mark := "ok  "
		if s.Skipped {
			mark = "skip"
		}
		if !s.OK {
			mark = "FAIL"
			failed = s.Name + ": " + s.Detail
		}
		fmt.Fprintf(e.stdout, "  [%s] %-12s %s\n", mark, s.Name, s.Detail)
		if !s.OK && s.Fix != "" {
			fmt.Fprintf(e.stdout, "         fix: %s\n", s.Fix)
		}
	})
	return failed
}

// diagnoseSelf is what diagnose knows of this agent: the identity to
// probe with, its settings when they can be read, the certificate pinned
// for the master at the address diagnosed, the running agent's status when
// it holds the database, and, without settings, why the password is not
// checked.
type diagnoseSelf struct {
	id        *link.Identity
	settings  *agent.Settings
	pin       string
	running   *agent.StatusSnapshot
	unchecked string
}

// diagnoseIdentity loads the agent's identity and settings, and the
// certificate pinned for a master at addr, when its database can be read.
// A running agent holds it: then a throwaway identity probes without the
// password step, and the pin and the SSL setting come from the running
// agent.
func diagnoseIdentity(e *env, addr string) diagnoseSelf {
	if dir, err := e.dir(); err == nil && notExist(filepath.Join(dir, app.AgentDB)) {
		// Nothing to read, and a diagnosis creates nothing.
		return diagnoseSelf{id: throwawayIdentity(), unchecked: notInitialised}
	}
	db, err := e.openDB(nil)
	if err == nil {
		defer db.Close()
		s, found, sErr := agent.LoadSettings(db)
		id, idErr := app.LoadIdentity(db, pb.Role_ROLE_AGENT)
		ms, msErr := db.Masters()
		if err = errors.Join(idErr, msErr); err == nil {
			self := diagnoseSelf{id: id}
			for _, m := range ms {
				if m.Has(addr) {
					self.pin = m.PinnedCert
				}
			}
			switch {
			case sErr != nil:
				self.unchecked = "cannot read this agent's settings: " + sErr.Error()
			case found && s.Initialized():
				self.settings = &s
			default:
				self.unchecked = notInitialised
			}
			return self
		}
	}
	self := diagnoseSelf{unchecked: "cannot read this agent's settings: " + err.Error()}
	if dir, err := e.dir(); err == nil {
		if c, err := agent.DialControl(dir); err == nil {
			if st, err := c.Status(); err == nil {
				self.running = &st
				self.unchecked = "the running agent holds its settings; lanyard-agent masters list shows whether its own link works"
				for _, m := range st.Masters {
					if slices.ContainsFunc(m.Addresses, func(a string) bool { return strings.EqualFold(a, addr) }) {
						self.pin = m.Fingerprint
					}
				}
			}
		}
	}
	self.id = throwawayIdentity()
	return self
}

// notExist says whether there is nothing at path.
func notExist(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, os.ErrNotExist)
}

// notInitialised is why diagnose does not check the password of an agent
// not set up.
const notInitialised = "this agent has no name or password yet: lanyard-agent init"

// throwawayIdentity is the identity diagnose probes with when it cannot
// use the agent's.
func throwawayIdentity() *link.Identity {
	id, err := link.NewThrowawayIdentity(pb.Role_ROLE_AGENT, "lanyard-agent "+version.String()+" (diagnose)")
	if err != nil {
		return &link.Identity{Role: pb.Role_ROLE_AGENT}
	}
	return id
}

// initLiveMasters makes the running agent's masters the list init was
// given: a console given with the same addresses stays as it is (its
// certificate trusted anew when another is given), the others are removed
// and the new ones added. A console given again with other addresses
// keeps the certificate it had pinned, unless another is given.
func initLiveMasters(c *agent.ControlClient, have []agent.MasterStatus, specs []string, apply func([]string, error) error) error {
	same := func(a, b []string) bool {
		return strings.EqualFold(agent.MasterSpec(a), agent.MasterSpec(b))
	}
	type wanted struct {
		spec  string
		addrs []string
		fp    string
	}
	var want []wanted
	for _, spec := range specs {
		addrs, fp, _ := agent.ParseMasterSpec(spec)
		want = append(want, wanted{spec, addrs, fp})
	}
	pins := map[string]string{} // address, lower case → the certificate its console must present
	for _, m := range have {
		for _, a := range m.Addresses {
			pins[strings.ToLower(a)] = m.Fingerprint
		}
		if !slices.ContainsFunc(want, func(w wanted) bool { return same(w.addrs, m.Addresses) }) {
			if err := apply(c.RemoveMaster(m.Address)); err != nil {
				return err
			}
		}
	}
	pinOf := func(addrs []string) string {
		for _, a := range addrs {
			if fp := pins[strings.ToLower(a)]; fp != "" {
				return fp
			}
		}
		return ""
	}
	for _, w := range want {
		i := slices.IndexFunc(have, func(m agent.MasterStatus) bool { return same(w.addrs, m.Addresses) })
		var err error
		switch {
		case i >= 0 && w.fp != "" && w.fp != have[i].Fingerprint:
			err = apply(c.TrustMaster(w.spec))
		case i >= 0:
		case w.fp == "" && pinOf(w.addrs) != "":
			err = apply(c.AddMaster(agent.MasterSpec(w.addrs) + "=" + link.FormatFingerprint(pinOf(w.addrs))))
		default:
			err = apply(c.AddMaster(w.spec))
		}
		if err != nil {
			return err
		}
	}
	return nil
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
		if err := initLiveMasters(c, st.Masters, o.Masters, apply); err != nil {
			return err
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
