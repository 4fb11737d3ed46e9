package agent

import (
	"context"
	"os"
	"runtime"
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
	st.Hostname, _ = os.Hostname()
	if hi, err := host.InfoWithContext(ctx); err == nil {
		st.UptimeSeconds = hi.Uptime
		st.Platform = hi.Platform + " " + hi.PlatformVersion
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		st.MemoryTotal, st.MemoryUsed = vm.Total, vm.Used
	}
	dir := a.cfg.DataDir
	if dir == "" {
		dir = "/"
	}
	if du, err := disk.UsageWithContext(ctx, dir); err == nil {
		st.DiskTotal, st.DiskUsed = du.Total, du.Used
	}
	// Zero interval: the usage since the previous call, without waiting.
	if pct, err := cpu.PercentWithContext(ctx, 0, false); err == nil && len(pct) > 0 {
		st.CpuPercent = pct[0]
	}
	st.DataDir = dir
	st.Disks = disks(ctx)
	// Last, so the console's estimate of the clock skew is not thrown off
	// by the time the probes took.
	st.TimeUnixNano = time.Now().UnixNano()
	return st
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
