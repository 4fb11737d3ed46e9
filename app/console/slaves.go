package console

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/core/wire"
)

// notListening follows a change that leaves an inbound slave waiting for
// a console that does not listen.
const notListening = "note: this console does not listen yet; turn it on with: lanyard settings set --listen :16888"

func slaveCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "slave", Short: "Add, list, edit, mute or remove slaves"}
	cmd.AddCommand(slaveAddCmd(e), slaveListCmd(e), slaveEditCmd(e), slaveRemoveCmd(e), slaveTrustCmd(e),
		slaveConnectCmd(e, true), slaveConnectCmd(e, false), slaveMuteCmd(e),
		slaveImportCmd(e), slaveExportCmd(e))
	return cmd
}

// specFlags are the flags add and edit share.
type specFlags struct {
	name, address, group, notes, fingerprint string
	inbound, passwordStdin                   bool
}

func (f *specFlags) register(cmd *cobra.Command, withName bool) {
	if withName {
		cmd.Flags().StringVar(&f.name, "name", "", "the slave's name, as given to lanyard-agent init --name (or give it as NAME)")
	}
	cmd.Flags().BoolVar(&f.inbound, "inbound", false, "the slave dials this console (the console must listen)")
	cmd.Flags().StringVar(&f.address, "address", "", "HOST:PORT the console dials (outbound); the port defaults to 16888")
	cmd.Flags().StringVar(&f.group, "group", "", "group shown in the server tree")
	cmd.Flags().StringVar(&f.notes, "notes", "", "free text")
	cmd.Flags().BoolVar(&f.passwordStdin, "password-stdin", false, "read the management password from standard input")
	cmd.Flags().StringVar(&f.fingerprint, "fingerprint", "", "the agent's certificate fingerprint, SHA256:… (lanyard-agent status shows it): the first contact is checked against it")
}

// nameFrom takes the slave's name from NAME or --name (the older form,
// still taken); given both, they must agree.
func (f *specFlags) nameFrom(args []string) error {
	switch {
	case len(args) == 0 && f.name == "":
		return cmdline.Usagef("give the slave's name: lanyard slave add NAME (--inbound | --address HOST:PORT) --password-stdin")
	case len(args) == 0:
		return nil
	case f.name != "" && f.name != args[0]:
		return cmdline.Usagef("two names given, %q and --name %q: give one", args[0], f.name)
	}
	f.name = args[0]
	return nil
}

// parseFingerprint checks --fingerprint before the password is asked for.
func (f *specFlags) parseFingerprint() (string, error) {
	if f.fingerprint == "" {
		return "", nil
	}
	fp, err := link.ParseFingerprint(f.fingerprint)
	if err != nil {
		return "", cmdline.Usage(err)
	}
	return fp, nil
}

func slaveAddCmd(e *env) *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "add NAME (--inbound | --address HOST:PORT) --password-stdin",
		Short: "Add a slave",
		Example: `  printf '%s\n' "$PW" | lanyard slave add FS01 --address 10.0.0.4:16888 --password-stdin
  printf '%s\n' "$PW" | lanyard slave add FS02 --inbound --password-stdin --fingerprint SHA256:9f86…0a08`,
		Args:              cmdline.RangeArgs(0, 1),
		ValidArgsFunction: cobra.NoFileCompletions, // a new name: nothing to offer
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.nameFrom(args); err != nil {
				return err
			}
			if f.inbound == (f.address != "") {
				return cmdline.Usagef("give either --inbound (the slave dials this console) or --address HOST:PORT (this console dials the slave)")
			}
			if !f.passwordStdin {
				return cmdline.Usagef("--password-stdin is required: the password is read from standard input, never from the command line")
			}
			c := entryChange{Name: f.name, Group: &f.group, Notes: &f.notes, Inbound: f.inbound, Address: f.address}
			var err error
			if c.Fingerprint, err = f.parseFingerprint(); err != nil {
				return err
			}
			// Validate before asking for the password.
			if _, err := address.ParseDial(f.address); err != nil && !f.inbound {
				return cmdline.Usage(err)
			}
			pw, err := app.ReadPassword(e.stdin, e.stderr, true)
			if err != nil {
				return cmdline.Usage(err)
			}
			defer clear(pw)
			s, err := e.changeSlave(cmd.Context(), opSlaveAdd, "", c, pw)
			if err != nil {
				return err
			}
			if s.Pinned == "" {
				fmt.Fprintln(e.stderr, "note: no --fingerprint given, so the first certificate the slave presents is trusted; compare it with `lanyard-agent status` on the server (lanyard slave list shows it once linked)")
			}
			if s.Direction == store.Outbound {
				fmt.Fprintf(e.stdout, "added %s, outbound: this console dials %s\n", s.Name, s.Address)
				return nil
			}
			fmt.Fprintf(e.stdout, "added %s, inbound: it dials this console\n", s.Name)
			if !s.Listening {
				fmt.Fprintln(e.stdout, notListening)
				return nil
			}
			if v, err := e.readSettingsView(cmd.Context()); err == nil {
				fmt.Fprintf(e.stdout, "on the server, as root: %s\n", agentInitLine(v.Settings, v.Fingerprint, s.Name))
			}
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// changeSlave carries out op (add, edit, remove, trust) through the
// running console, or on its database when none runs. A mistake (a
// duplicate, an unknown name, a bad value) exits 2.
func (e *env) changeSlave(ctx context.Context, op, name string, c entryChange, pw []byte) (entryResult, error) {
	res, err := runningOrStored(ctx, e, ctlRequest{Op: op, Slave: name, Entry: &c, Password: pw}, nil,
		func(r ctlResponse) entryResult {
			if r.Entry == nil {
				return entryResult{Name: name}
			}
			return *r.Entry
		},
		func(db *store.DB) (entryResult, error) {
			res, err := changeEntry(dbEntries{db}, op, name, c, pw)
			return res, asUsage(err)
		})
	return res, err
}

// asUsage makes validation and duplicate errors exit with code 2.
func asUsage(err error) error {
	if errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrNotFound) {
		return cmdline.Usage(err)
	}
	var ve interface{ Unwrap() error }
	if errors.As(err, &ve) {
		return err
	}
	return cmdline.Usage(err)
}

func slaveEditCmd(e *env) *cobra.Command {
	var f specFlags
	var rename string
	cmd := &cobra.Command{
		Use:               "edit NAME [flags]",
		ValidArgsFunction: e.completeSlaveArg,
		Short:             "Change a slave's entry",
		Long: `Change a slave's entry. Flags not given keep their value. The password
stays unless --password-stdin is given; renaming needs it (the name is
part of the key).`,
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.inbound && f.address != "" {
				return cmdline.Usagef("--inbound and --address contradict each other")
			}
			c := entryChange{Name: rename, Inbound: f.inbound, Address: f.address}
			if cmd.Flags().Changed("group") {
				c.Group = &f.group
			}
			if cmd.Flags().Changed("notes") {
				c.Notes = &f.notes
			}
			var err error
			if c.Fingerprint, err = f.parseFingerprint(); err != nil {
				return err
			}
			var pw []byte
			if f.passwordStdin {
				if pw, err = app.ReadPassword(e.stdin, e.stderr, true); err != nil {
					return cmdline.Usage(err)
				}
				defer clear(pw)
			}
			s, err := e.changeSlave(cmd.Context(), opSlaveEdit, args[0], c, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "updated %s\n", s.Name)
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&rename, "rename", "", "new name (needs --password-stdin)")
	return cmd
}

// slaveConnectCmd is slave connect (on) or slave disconnect.
func slaveConnectCmd(e *env, on bool) *cobra.Command {
	op, use, short, long := opSlaveDisconnect, "disconnect NAME", "Stop linking a slave until slave connect",
		`Disconnect a slave: the console closes its link, stops dialing it (or refuses
it when it dials in) and keeps it so across restarts, until slave connect.
The entry and its history stay. For a server in maintenance, or one that is
gone but whose history you keep.`
	if on {
		op, use, short, long = opSlaveConnect, "connect NAME", "Link a slave again, or try it now",
			`Connect a slave that was disconnected; for one that the console dials and that
is down, try it now rather than after its backoff.`
	}
	var group string
	cmd := &cobra.Command{
		Use:               strings.Replace(use, "NAME", "(NAME | --group G)", 1),
		ValidArgsFunction: e.completeSlaveArg,
		Short:             short,
		Long:              long + "\n\n--group does it to every slave of a group (a customer's site in maintenance).",
		Args:              nameOrGroup(&group),
		RunE: func(cmd *cobra.Command, args []string) error {
			notListened := false
			err := e.eachSlave(cmd.Context(), args, group, op, entryChange{}, func(s entryResult) {
				printConnected(e.stdout, s, on)
				notListened = notListened || on && s.Direction == store.Inbound && !s.Listening
			})
			if notListened {
				fmt.Fprintln(e.stdout, notListening)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "every slave of this group (case does not matter)")
	return cmd
}

// nameOrGroup takes one slave's NAME, or none with --group.
func nameOrGroup(group *string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if *group != "" && len(args) != 0 || *group == "" && len(args) != 1 {
			return cmdline.Usagef("%s takes one slave's NAME, or --group G (usage: %s)", cmd.CommandPath(), cmd.UseLine())
		}
		return nil
	}
}

// eachSlave carries out op with c on the slave named in args, or on every
// slave of group, through the running console or on its database, and
// says what each became. Of a group, a slave's failure is printed and
// counted, and the others go on.
func (e *env) eachSlave(ctx context.Context, args []string, group, op string, c entryChange, say func(entryResult)) error {
	names := args
	if group != "" {
		var err error
		if names, err = e.slavesOfGroup(ctx, group); err != nil {
			return err
		}
	}
	failed := 0
	for _, name := range names {
		s, err := e.changeSlave(ctx, op, name, c, nil)
		if err != nil && group == "" {
			return err
		}
		if err != nil {
			fmt.Fprintf(e.stdout, "%s: %v\n", name, err)
			failed++
			continue
		}
		say(s)
	}
	if failed > 0 {
		return &cmdline.CodeError{Code: 1, Err: fmt.Errorf("%s of %s failed", human.Plural(failed, "slave", "slaves"), group)}
	}
	return nil
}

// printConnected says what connect (on) or disconnect did to s; the
// caller adds, once, that the console does not listen for those that
// dial in.
func printConnected(w io.Writer, s entryResult, on bool) {
	switch {
	case !on:
		fmt.Fprintf(w, "disconnected %s: it stays so until `lanyard slave connect %s`\n", s.Name, s.Name)
	case s.Direction == store.Inbound:
		fmt.Fprintf(w, "connected %s: it is accepted when it dials in\n", s.Name)
	default:
		fmt.Fprintf(w, "connected %s: the console dials %s\n", s.Name, s.Address)
	}
}

// slavesOfGroup are the names of group's slaves, from the running
// console or the database; a group with none is a mistake.
func (e *env) slavesOfGroup(ctx context.Context, group string) ([]string, error) {
	slaves, err := readSlaves(ctx, e)
	if err != nil {
		return nil, err
	}
	names, err := groupSlaves(slaveViews(slaves), group)
	return names, asUsage(err)
}

func slaveRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "remove NAME",
		ValidArgsFunction: e.completeSlaveArg,
		Short:             "Remove a slave",
		Args:              cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := e.changeSlave(cmd.Context(), opSlaveRemove, args[0], entryChange{}, nil); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "removed %s\n", args[0])
			return nil
		},
	}
}

func slaveTrustCmd(e *env) *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:               "trust NAME [--fingerprint SHA256:…]",
		ValidArgsFunction: e.completeSlaveArg,
		Short:             "Trust the certificate and installation a slave presents next (after it was reinstalled)",
		Long: `Trust the certificate and installation the slave presents next, after it was
reinstalled and its certificate changed (cert_changed), or to let a second
installation take its name over (duplicate_install). Check first that it
was: otherwise something else answers at its address. With --fingerprint
the slave must present exactly that certificate instead.`,
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fp, err := f.parseFingerprint()
			if err != nil {
				return err
			}
			s, err := e.changeSlave(cmd.Context(), opSlaveTrust, args[0], entryChange{Fingerprint: fp}, nil)
			if err != nil {
				return err
			}
			if fp != "" {
				fmt.Fprintf(e.stdout, "%s: it must present the certificate %s\n", s.Name, link.FormatFingerprint(fp))
				return nil
			}
			fmt.Fprintf(e.stdout, "%s: the next certificate and installation it presents will be trusted and pinned\n", s.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&f.fingerprint, "fingerprint", "", "the certificate it must present, SHA256:…")
	return cmd
}

// slaveJSON is `slave list --json`: everything but the key.
type slaveJSON struct {
	Name       string    `json:"name"`
	Group      string    `json:"group,omitempty"`
	Direction  string    `json:"direction"`
	Address    string    `json:"address,omitempty"`
	PinnedCert string    `json:"pinned_cert,omitempty"`
	InstallID  string    `json:"install_id,omitempty"`
	Notes      string    `json:"notes,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	// PasswordInDoubt: a password change from the console awaits the
	// agent's answer (master.SlaveView).
	PasswordInDoubt bool `json:"password_in_doubt,omitempty"`
	// State is the link's state in the running console ("connected",
	// "offline", …). Without one it is known only for a slave the user
	// disconnected ("disabled"), and left out for the others.
	State string `json:"state,omitempty"`
	// LastSeen is when the console last had a link with it; absent:
	// never. Saved every few minutes while linked; the running console
	// answers with its own, current time.
	LastSeen time.Time `json:"last_seen,omitzero"`
	// MutedUntil: its alerts are muted until then (slave mute); absent
	// when they are not.
	MutedUntil time.Time `json:"muted_until,omitzero"`
	// Software is what its agent said it was at its last link,
	// "lanyard-agent 1.4.0"; absent before the first.
	Software string `json:"software,omitempty"`
	// LastCode and LastError: why the running console's last try to link
	// it failed, for a slave not linked now (auth_failed, "wrong
	// management password for FS01: …"); absent otherwise.
	LastCode  string `json:"last_code,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// slaveViews are slaves as the console's own views of them, with what
// lanyard slave list carries (their state only from a running console).
func slaveViews(slaves []slaveJSON) []master.SlaveView {
	views := make([]master.SlaveView, len(slaves))
	for i, s := range slaves {
		views[i] = master.SlaveView{Name: s.Name, Group: s.Group, Direction: store.Direction(s.Direction), State: master.State(s.State),
			LastSeen: s.LastSeen, LastCode: s.LastCode, LastError: s.LastError, MutedUntil: s.MutedUntil}
	}
	return views
}

// slaveList is every entry as lanyard slave list shows it.
func slaveList(db *store.DB) ([]slaveJSON, error) {
	slaves, err := db.Slaves()
	if err != nil {
		return nil, err
	}
	lastRunning, err := db.LastRunning()
	if err != nil {
		return nil, err
	}
	out := make([]slaveJSON, 0, len(slaves))
	for _, s := range slaves {
		j := slaveJSON{Name: s.Name, Group: s.Group, Direction: string(s.Direction), Address: s.Address,
			PinnedCert: s.PinnedCert, InstallID: s.PinnedInstallID, Notes: s.Notes, Created: s.Created, Updated: s.Updated,
			PasswordInDoubt: s.PasswordInDoubt(), LastSeen: s.SeenUntil(lastRunning), Software: s.Software}
		if s.MutedUntil.After(time.Now()) {
			j.MutedUntil = s.MutedUntil
		}
		if s.Disabled {
			j.State = string(master.StateDisabled) // so it stays, whether a console runs or not
		}
		out = append(out, j)
	}
	return out, nil
}

// liveSlaveList is slaveList with each slave's state and last-seen time
// as the running console m holds them.
func liveSlaveList(db *store.DB, m *master.Master) ([]slaveJSON, error) {
	out, err := slaveList(db)
	if err != nil {
		return nil, err
	}
	live := map[string]master.SlaveView{}
	for _, v := range m.Slaves() {
		live[strings.ToLower(v.Name)] = v
	}
	for i := range out {
		if v, ok := live[strings.ToLower(out[i].Name)]; ok {
			out[i].State, out[i].LastSeen, out[i].Software = string(v.State), v.LastSeen, cmp.Or(v.Software, out[i].Software)
			if v.State != master.StateConnected && v.State != master.StateDisabled {
				out[i].LastCode, out[i].LastError = v.LastCode, v.LastError
			}
		}
	}
	return out, nil
}

// stateText is a slave's STATE column: its state, and for one in error
// or offline why in a few words, "error (wrong password)", "offline
// (unreachable)"; the reason in full follows the table.
func stateText(s slaveJSON) string {
	if w := wire.Code(s.LastCode).Words(); notLinkedWhy(s) && w != "" {
		return s.State + " (" + w + ")"
	}
	return s.State
}

// notLinkedWhy says whether s is in error or offline with why its last
// try failed, which the list says under the table (as the window's
// Overview says it).
func notLinkedWhy(s slaveJSON) bool {
	return (s.State == string(master.StateError) || s.State == string(master.StateOffline)) && s.LastError != ""
}

// lastSeenText is a slave's LAST SEEN column at now.
func lastSeenText(s slaveJSON, now time.Time) string {
	switch {
	case s.State == string(master.StateConnected):
		return "now"
	case s.LastSeen.IsZero():
		return "never"
	}
	return human.Ago(s.LastSeen, now)
}

// readSlaves is every slave as the running console sees it, or as the
// data directory keeps it when none runs.
func readSlaves(ctx context.Context, e *env) ([]slaveJSON, error) {
	return runningOrStored(ctx, e, ctlRequest{Op: opSlaveList}, nil,
		func(r ctlResponse) []slaveJSON { return r.Slaves }, slaveList)
}

func slaveListCmd(e *env) *cobra.Command {
	var asJSON bool
	var group string
	cmd := &cobra.Command{
		Use:   "list [--group G]",
		Short: "List the slaves, or a group's",
		Args:  cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			slaves, err := readSlaves(cmd.Context(), e)
			if err != nil {
				return err
			}
			if group != "" {
				scope := fleetScope{group: group}
				slaves = slices.DeleteFunc(slaves, func(s slaveJSON) bool { return !scope.in(s.Name, s.Group) })
				if len(slaves) == 0 {
					return asUsage(scope.empty())
				}
			}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(nonNil(slaves))
			}
			if len(slaves) == 0 {
				fmt.Fprintln(e.stdout, "no slaves yet: add one with `lanyard slave add`, or in the window (File > Add Slave…)")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			// The state is known to a running console, and without one only
			// for a slave that was disconnected; the others' is "-" then.
			shown := slices.ContainsFunc(slaves, func(s slaveJSON) bool { return s.State != "" })
			state := func(s string) string {
				if !shown {
					return ""
				}
				return cmdline.OrDash(s) + "\t"
			}
			fmt.Fprintln(tw, "NAME\t"+state("STATE")+"DIRECTION\tADDRESS\tGROUP\tLAST SEEN\tAGENT\tCERTIFICATE")
			now := time.Now()
			for _, s := range slaves {
				cert := "not pinned yet"
				if s.PinnedCert != "" {
					cert = link.ShortFingerprint(s.PinnedCert)
				}
				fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, state(stateText(s)), s.Direction, cmdline.OrDash(s.Address),
					cmdline.OrDash(s.Group), lastSeenText(s, now), cmdline.OrDash(version.OfAgent(s.Software)), cert)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, s := range slaves {
				if notLinkedWhy(s) {
					fmt.Fprintf(e.stdout, "%s: %s\n", s.Name, s.LastError)
				}
				if s.PasswordInDoubt {
					fmt.Fprintf(e.stdout, "%s: a password change awaits its answer; the next link settles which password it has\n", s.Name)
				}
				if !s.MutedUntil.IsZero() {
					fmt.Fprintf(e.stdout, "%s: alerts muted until %s\n", s.Name, s.MutedUntil.Local().Format(human.StampLayout))
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&group, "group", "", "only the slaves of this group")
	return cmd
}
