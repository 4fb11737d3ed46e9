package agent_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// FuzzFindAnswer reads arbitrary bytes as two parts of a search's answer,
// as a console reads an agent's: it must never panic, and the report
// they make counts each version in one snapshot, plus at most one for
// each place the parts name again.
func FuzzFindAnswer(f *testing.F) {
	at := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC).UnixNano()
	part := func(tp *pb.TaskPart) []byte {
		b, err := proto.Marshal(tp)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(part(&pb.TaskPart{Found: []*pb.FoundFile{{Snapshot: "2026-12-05T020000Z", TimeUnixNano: at, Path: "/home/alice/a.odt", Type: "file", Size: 3}}}))
	f.Add(part(&pb.TaskPart{FoundAgain: []*pb.FoundAgain{{Snapshot: "2026-12-04T020000Z", TimeUnixNano: at - 86400e9, Rows: []uint32{0, 1, 1 << 31, 7}}}}))
	f.Add(part(&pb.TaskPart{Found: []*pb.FoundFile{{Path: "/a"}, {Path: "/b"}}, FoundAgain: []*pb.FoundAgain{{Rows: []uint32{0}}, {Rows: []uint32{1, 0}}}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tp pb.TaskPart
		if proto.Unmarshal(data, &tp) != nil {
			return
		}
		var rep backup.FindReport
		again := 0
		for range 2 { // the second part's places may name the first's versions
			for _, p := range agent.FindPartsFromPB(&tp) {
				rep.Add(p)
				again += len(p.Again)
			}
		}
		if len(rep.Found) != 2*len(tp.GetFound()) {
			t.Fatalf("%d versions from two parts of %d each", len(rep.Found), len(tp.GetFound()))
		}
		counted := 0
		for _, ff := range rep.Found {
			if ff.In < 1 {
				t.Fatalf("a version in %d snapshots: %+v", ff.In, ff)
			}
			counted += ff.In - 1
		}
		if counted > again {
			t.Fatalf("%d snapshots counted again from %d places named", counted, again)
		}
	})
}
