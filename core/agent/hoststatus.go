package agent

import (
	"cmp"
	"context"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/lanyard/lanyard/core/wire/pb"
)

// status gathers what the Overview tab shows. Each probe that fails
// leaves its fields empty rather than failing the request.
func (a *Agent) status(ctx context.Context) *pb.StatusResponse {
	return a.statusOf(a.probe.read(ctx, a.cfg.DataDir))
}

// statusOf is the status answer made from a reading of the host.
func (a *Agent) statusOf(f hostFacts) *pb.StatusResponse {
	a.mu.Lock()
	s := a.settings
	a.mu.Unlock()
	st := &pb.StatusResponse{
		Name:               s.Name,
		Os:                 runtime.GOOS,
		Arch:               runtime.GOARCH,
		AgentVersion:       a.cfg.Version,
		AgentUptimeSeconds: uint64(time.Since(a.started) / time.Second),
		Ssl:                s.SSL,
		Management:         s.Management,
	}
	f.fill(st)
	// Last, so the console's estimate of the clock skew is not thrown off
	// by the time the probes took.
	st.TimeUnixNano = time.Now().UnixNano()
	return st
}

// HostProbe reads the host's figures a status answer carries: host name,
// uptime, platform, memory, disks and CPU. A reading is kept for
// probeFresh, so consoles asking at once, or the agents of a simulated
// fleet sharing one probe, cost one reading. Safe for concurrent use.
//
// A reading takes about half a millisecond (a few files under /proc and
// the usage of every mount), but a slow mount can hold it much longer.
// Only the first answer, and the one that finds the reading stale, wait
// for it: answers asked for meanwhile are made from the previous reading
// at once, so a console asking hundreds of times a second does not see a
// stall once a second.
type HostProbe struct {
	mu   sync.Mutex
	last hostFacts
	// taking is closed when the reading of takingDir under way lands; nil
	// while none is.
	taking    chan struct{}
	takingDir string
	// readHost takes a reading; nil is readHost (tests slow it down).
	readHost func(ctx context.Context, dir string) hostFacts
}

// probeFresh is how long a reading answers for.
const probeFresh = time.Second

// hostFacts is one reading. Its Disks are shared by every answer made from
// it and never changed.
type hostFacts struct {
	at                  time.Time
	dir                 string
	hostname, platform  string
	uptime              uint64
	memTotal, memUsed   uint64
	diskTotal, diskUsed uint64
	cpuPercent          float64
	disks               []*pb.Disk
}

// read returns a reading of dir's host (the data directory; "" is /): the
// last one while it is fresh, or while another caller is taking the next;
// else a new one, taken without holding the lock. Callers with no reading
// of dir at all wait for the one under way rather than take their own.
func (p *HostProbe) read(ctx context.Context, dir string) hostFacts {
	dir = cmp.Or(dir, "/")
	p.mu.Lock()
	for {
		if f, ok := p.atHandLocked(dir); ok {
			p.mu.Unlock()
			return f
		}
		if p.taking == nil || p.takingDir != dir {
			return p.take(ctx, dir) // unlocks
		}
		taking := p.taking
		p.mu.Unlock()
		select {
		case <-taking:
		case <-ctx.Done():
		}
		p.mu.Lock()
		if ctx.Err() != nil { // the request was given up
			f := p.last
			p.mu.Unlock()
			if f.dir != dir {
				f = hostFacts{dir: dir}
			}
			return f
		}
	}
}

// atHand returns the reading of dir that read would return without
// waiting: the last one while it is fresh, or while the next is being
// taken. It reports false when read would wait or take a reading.
func (p *HostProbe) atHand(dir string) (hostFacts, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.atHandLocked(cmp.Or(dir, "/"))
}

// atHandLocked is atHand with p.mu held and dir not "".
func (p *HostProbe) atHandLocked(dir string) (hostFacts, bool) {
	if p.last.dir != dir {
		return hostFacts{}, false
	}
	fresh := time.Since(p.last.at) < probeFresh
	return p.last, fresh || p.taking != nil && p.takingDir == dir
}

// take takes a reading of dir and keeps it. p.mu is held on entry and
// released on return; it is not held while the host is read.
func (p *HostProbe) take(ctx context.Context, dir string) hostFacts {
	taking := make(chan struct{})
	p.taking, p.takingDir = taking, dir
	read := p.readHost
	if read == nil {
		read = readHost
	}
	p.mu.Unlock()
	// The reading is everyone's: a console giving up on the request that
	// takes it does not leave the others an empty one.
	f := read(context.WithoutCancel(ctx), dir)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.taking == taking {
		p.taking = nil
	}
	close(taking)
	p.last = f
	return f
}

// platform is the operating system's name and version ("debian 12.8"),
// read once per process: it changes only with an upgrade, which restarts
// the agent, and reading it may start a program (lsb_release, where
// /etc/lsb-release is missing) that takes tens of milliseconds.
var platform = sync.OnceValue(func() string {
	name, _, version, err := host.PlatformInformation()
	if err != nil {
		return ""
	}
	return name + " " + version
})

// readHost takes one reading of the host, with dir's usage.
func readHost(ctx context.Context, dir string) hostFacts {
	f := hostFacts{at: time.Now(), dir: dir}
	f.hostname, _ = os.Hostname()
	f.uptime, _ = host.UptimeWithContext(ctx)
	f.platform = platform()
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		f.memTotal, f.memUsed = vm.Total, vm.Used
	}
	if du, err := disk.UsageWithContext(ctx, dir); err == nil {
		f.diskTotal, f.diskUsed = du.Total, du.Used
	}
	// Zero interval: the usage since the previous call, without waiting.
	if pct, err := cpu.PercentWithContext(ctx, 0, false); err == nil && len(pct) > 0 {
		f.cpuPercent = pct[0]
	}
	f.disks = disks(ctx)
	return f
}

// fill copies the reading into a status answer.
func (f hostFacts) fill(st *pb.StatusResponse) {
	st.Hostname, st.UptimeSeconds, st.Platform = f.hostname, f.uptime, f.platform
	st.MemoryTotal, st.MemoryUsed = f.memTotal, f.memUsed
	st.DiskTotal, st.DiskUsed, st.DataDir = f.diskTotal, f.diskUsed, f.dir
	st.CpuPercent, st.Disks = f.cpuPercent, f.disks
}

// disks lists the real file systems (not /proc, tmpfs, overlays and the
// like), one per device, with their usage.
func disks(ctx context.Context) []*pb.Disk {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil {
		return nil
	}
	var out []*pb.Disk
	seen := map[string]bool{}
	for _, p := range parts {
		if seen[p.Device] || pseudoFS[p.Fstype] {
			continue
		}
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		seen[p.Device] = true
		out = append(out, &pb.Disk{Mountpoint: p.Mountpoint, Device: p.Device, Fstype: p.Fstype, Total: u.Total, Used: u.Used})
		if len(out) == maxDisks {
			break
		}
	}
	return out
}

// maxDisks bounds the list, so a host with thousands of mounts still
// answers with a small message.
const maxDisks = 64

// pseudoFS are file systems that hold no data worth watching.
var pseudoFS = map[string]bool{
	"tmpfs": true, "devtmpfs": true, "squashfs": true, "proc": true, "sysfs": true,
	"cgroup": true, "cgroup2": true, "devpts": true, "mqueue": true, "debugfs": true, "tracefs": true,
	"securityfs": true, "pstore": true, "bpf": true, "autofs": true, "fusectl": true, "configfs": true,
	"hugetlbfs": true, "binfmt_misc": true, "nsfs": true, "ramfs": true, "efivarfs": true, "rpc_pipefs": true,
}
