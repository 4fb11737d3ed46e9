package console

import (
	"time"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The JSON the remote-management commands print (--json), and the
// control socket carries.

// statusJSON is `lanyard status NAME --json`.
type statusJSON struct {
	Slave          string    `json:"slave"`
	State          string    `json:"state"`
	Direction      string    `json:"direction"`
	Remote         string    `json:"remote,omitempty"`
	SSL            bool      `json:"ssl"`
	ConnectedSince time.Time `json:"connected_since,omitzero"`
	RTTMillis      float64   `json:"rtt_ms"`
	// ClockSkewMillis: how far the agent's clock is ahead of the
	// console's (negative: behind).
	ClockSkewMillis    float64    `json:"clock_skew_ms"`
	Hostname           string     `json:"hostname"`
	OS                 string     `json:"os"`
	Platform           string     `json:"platform,omitempty"`
	Arch               string     `json:"arch"`
	UptimeSeconds      uint64     `json:"uptime_seconds"`
	AgentVersion       string     `json:"agent_version"`
	AgentUptimeSeconds uint64     `json:"agent_uptime_seconds"`
	CPUPercent         float64    `json:"cpu_percent"`
	MemoryTotal        uint64     `json:"memory_total"`
	MemoryUsed         uint64     `json:"memory_used"`
	AgentSSL           bool       `json:"agent_ssl"`
	Management         bool       `json:"management"`
	DataDir            string     `json:"data_dir,omitempty"`
	Disks              []diskJSON `json:"disks"`
	// Backups is its backup tasks by state, as the console's health
	// knows them.
	Backups backupsJSON `json:"backups"`
}

// backupsJSON counts a slave's backup tasks by state, and those with
// damaged copies, a destination nearly full or warnings.
type backupsJSON struct {
	OK       int `json:"ok"`
	Failed   int `json:"failed"`
	Overdue  int `json:"overdue"`
	Running  int `json:"running"`
	Unknown  int `json:"unknown"`
	Damaged  int `json:"damaged"`
	DestFull int `json:"dest_full"`
	Warned   int `json:"warned"`
	// Line says it in words, as lanyard status prints it.
	Line string `json:"line"`
}

type diskJSON struct {
	Mountpoint string `json:"mountpoint"`
	Device     string `json:"device"`
	FSType     string `json:"fstype"`
	Total      uint64 `json:"total"`
	Used       uint64 `json:"used"`
}

func statusOf(rep master.StatusReport) *statusJSON {
	v, st := rep.Slave, rep.Status
	out := &statusJSON{Slave: v.Name, State: string(v.State), Direction: string(v.Direction), Remote: v.Remote,
		SSL: v.SSL, ConnectedSince: v.ConnectedSince,
		RTTMillis:       human.Millis(rep.RTT),
		ClockSkewMillis: human.Millis(rep.ClockSkew),
		Disks:           []diskJSON{}}
	b := v.Backup
	out.Backups = backupsJSON{OK: b.OK, Failed: b.Failed, Overdue: b.Overdue, Running: b.Running, Unknown: b.Unknown,
		Damaged: b.Damaged, DestFull: b.Full, Warned: b.Warned, Line: b.Line()}
	if st == nil {
		return out
	}
	out.Hostname, out.OS, out.Platform, out.Arch = st.Hostname, st.Os, st.Platform, st.Arch
	out.UptimeSeconds, out.AgentVersion, out.AgentUptimeSeconds = st.UptimeSeconds, st.AgentVersion, st.AgentUptimeSeconds
	out.CPUPercent, out.MemoryTotal, out.MemoryUsed = st.CpuPercent, st.MemoryTotal, st.MemoryUsed
	out.AgentSSL, out.Management, out.DataDir = st.Ssl, st.Management, st.DataDir
	for _, d := range st.Disks {
		out.Disks = append(out.Disks, diskJSON{Mountpoint: d.Mountpoint, Device: d.Device, FSType: d.Fstype, Total: d.Total, Used: d.Used})
	}
	return out
}

// logLineJSON is one line of `lanyard agent-log --json`.
type logLineJSON struct {
	Time  time.Time `json:"time,omitzero"`
	Level string    `json:"level,omitempty"`
	Text  string    `json:"text"`
}

func logLinesJSON(lines []*pb.LogLine) []logLineJSON {
	out := make([]logLineJSON, len(lines))
	for i, l := range lines {
		out[i] = logLineJSON{Level: l.Level, Text: l.Text}
		if l.TimeUnixNano != 0 {
			out[i].Time = time.Unix(0, l.TimeUnixNano)
		}
	}
	return out
}

// agentSettingsJSON is `lanyard agent-settings show --json`.
type agentSettingsJSON struct {
	Name        string        `json:"name"`
	Listen      string        `json:"listen"` // "" when not listening
	ListenAddr  string        `json:"listen_addr,omitempty"`
	ListenError string        `json:"listen_error,omitempty"`
	SSL         bool          `json:"ssl"`
	Management  bool          `json:"management"`
	Masters     []masterJSON  `json:"masters"`
	Consoles    []consoleJSON `json:"consoles"`
}

type masterJSON struct {
	Address   string    `json:"address"`
	State     string    `json:"state"`
	Since     time.Time `json:"since,omitzero"`
	Remote    string    `json:"remote,omitempty"`
	LastError string    `json:"last_error,omitempty"`
}

// info is m as the agent sent it, to be described as the window does.
func (m masterJSON) info() *pb.MasterInfo {
	mi := &pb.MasterInfo{Address: m.Address, State: m.State, Remote: m.Remote, LastError: m.LastError}
	if !m.Since.IsZero() {
		mi.SinceUnixNano = m.Since.UnixNano()
	}
	return mi
}

type consoleJSON struct {
	Remote    string    `json:"remote"`
	Master    string    `json:"master,omitempty"`
	SSL       bool      `json:"ssl"`
	Software  string    `json:"software,omitempty"`
	Since     time.Time `json:"since,omitzero"`
	RTTMillis float64   `json:"rtt_ms,omitempty"` // the link's round trip as the agent knows it; none from an older agent
	This      bool      `json:"this_console"`
}

// info is c as the agent sent it, to be described as the window does.
func (c consoleJSON) info() *pb.ConsoleInfo {
	ci := &pb.ConsoleInfo{Remote: c.Remote, Master: c.Master, Ssl: c.SSL, Software: c.Software, RttMs: c.RTTMillis, You: c.This}
	if !c.Since.IsZero() {
		ci.SinceUnixNano = c.Since.UnixNano()
	}
	return ci
}

func settingsJSON(s *pb.AgentSettings) *agentSettingsJSON {
	if s == nil {
		return nil
	}
	out := &agentSettingsJSON{Name: s.Name, Listen: s.Listen, ListenAddr: s.ListenAddr, ListenError: s.ListenError,
		SSL: s.Ssl, Management: s.Management, Masters: []masterJSON{}, Consoles: []consoleJSON{}}
	for _, m := range s.Masters {
		out.Masters = append(out.Masters, masterJSON{Address: m.Address, State: m.State, Since: unixTime(m.SinceUnixNano),
			Remote: m.Remote, LastError: m.LastError})
	}
	for _, c := range s.Consoles {
		out.Consoles = append(out.Consoles, consoleJSON{Remote: c.Remote, Master: c.Master, SSL: c.Ssl, Software: c.Software,
			Since: unixTime(c.SinceUnixNano), RTTMillis: c.RttMs, This: c.You})
	}
	return out
}

func unixTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
