package dumpkit

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The per-goroutine goroutine profile ("debug=3" as CockroachDB collects it):
// a profile.proto (github.com/google/pprof/proto/profile.proto) with sample
// type goroutine/count and ONE sample per goroutine, value 1. Go does not
// write it; labelledProfile builds it from the program's own debug=2 dump
// (taken with GODEBUG=tracebacklabels=1 so that headers carry the labels).
// Each sample carries these labels:
//
//	go::goroutine               num  the goroutine id
//	go::goroutine_created_by    num  id of the goroutine that created it (the
//	                                 "created by ... in goroutine N" line);
//	                                 absent when there is none (goroutine 1)
//	go::goroutine_state         str  the wait reason or status in the header
//	                                 ("chan send", "select", "running", ...)
//	go::goroutine_wait_minutes  num  (unit "minutes") the ", N minutes" of the
//	                                 header; absent when the header has none
//	                                 (blocked for under a minute, or not blocked)
//	<key>                       str  each of the goroutine's own pprof labels
//
// Locations carry no address and no mapping (the text dump has only function
// entry offsets): one Location per frame (function, file, line), inlined
// frames included, shared by every goroutine that has that frame. Function
// start lines are unknown (0).

var (
	headerRE  = regexp.MustCompile(`^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\](.*):$`)
	createdRE = regexp.MustCompile(`^created by (.*?)(?: in goroutine (\d+))?$`)
	minutesRE = regexp.MustCompile(`^(\d+) minutes$`)
)

type dumpFrame struct {
	function, file string
	line           int64
}

type dumpGoroutine struct {
	id          int64
	state       string
	waitMinutes int64 // -1: not in the header
	creator     int64 // -1: no "created by ... in goroutine N"
	labels      [][2]string
	frames      []dumpFrame // innermost first
}

// parseDump reads a debug=2 goroutine dump (the runtime's traceback format).
func parseDump(text []byte) []dumpGoroutine {
	var out []dumpGoroutine
	var cur *dumpGoroutine
	var fn string // a function line waiting for its file:line line
	inFrames := false
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		if m := headerRE.FindStringSubmatch(line); m != nil {
			out = append(out, dumpGoroutine{waitMinutes: -1, creator: -1})
			cur = &out[len(out)-1]
			cur.id, _ = strconv.ParseInt(m[1], 10, 64)
			parts := strings.Split(m[2], ", ")
			cur.state = parts[0]
			for _, p := range parts[1:] {
				if mm := minutesRE.FindStringSubmatch(p); mm != nil {
					cur.waitMinutes, _ = strconv.ParseInt(mm[1], 10, 64)
				}
			}
			cur.labels = parseLabels(strings.TrimSpace(m[3]))
			fn, inFrames = "", true
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case line == "":
			cur, fn = nil, ""
		case strings.HasPrefix(line, "\t"):
			if fn == "" {
				continue
			}
			file, ln := splitFileLine(line)
			if inFrames {
				cur.frames = append(cur.frames, dumpFrame{fn, file, ln})
			}
			fn = ""
		case strings.HasPrefix(line, "created by "):
			if m := createdRE.FindStringSubmatch(line); m != nil && m[2] != "" {
				cur.creator, _ = strconv.ParseInt(m[2], 10, 64)
			}
			fn, inFrames = "", false
		case strings.HasPrefix(line, "[originating from goroutine"):
			fn, inFrames = "", false // tracebackancestors: not this goroutine's stack
		case strings.HasPrefix(line, "..."):
			fn = "" // "...additional frames elided..."
		default:
			fn = funcName(line)
		}
	}
	return out
}

// funcName drops the argument list "(...)" from a frame's function line.
func funcName(line string) string {
	if !strings.HasSuffix(line, ")") {
		return line
	}
	depth := 0
	for i := len(line) - 1; i >= 0; i-- {
		switch line[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return line[:i]
			}
		}
	}
	return line
}

// splitFileLine reads "\t/path/file.go:123 +0x1d".
func splitFileLine(line string) (string, int64) {
	s := strings.TrimPrefix(line, "\t")
	if i := strings.Index(s, " +0x"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " fp="); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return s, 0
	}
	return s[:i], n
}

// parseLabels reads the header's label set: {key: value, "k 2": "v, 2"}
// (keys and values are quoted when they hold other characters than
// [A-Za-z0-9./_]).
func parseLabels(s string) [][2]string {
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil
	}
	s = s[1 : len(s)-1]
	var out [][2]string
	token := func() (string, bool) {
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return "", false
			}
			s = s[len(q):]
			v, err := strconv.Unquote(q)
			return v, err == nil
		}
		i := strings.IndexFunc(s, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '/' || r == '_')
		})
		if i < 0 {
			i = len(s)
		}
		t := s[:i]
		s = s[i:]
		return t, true
	}
	for s != "" {
		k, ok := token()
		if !ok || !strings.HasPrefix(s, ": ") {
			return out
		}
		s = s[2:]
		v, ok := token()
		if !ok {
			return out
		}
		out = append(out, [2]string{k, v})
		s = strings.TrimPrefix(s, ", ")
	}
	return out
}

// labelledProfile encodes the goroutines of a debug=2 dump as an
// uncompressed profile.proto with one sample per goroutine.
func labelledProfile(dump []byte, now time.Time) []byte {
	gs := parseDump(dump)

	strs := map[string]int64{"": 0}
	table := []string{""}
	str := func(s string) int64 {
		if i, ok := strs[s]; ok {
			return i
		}
		i := int64(len(table))
		strs[s] = i
		table = append(table, s)
		return i
	}
	type fnKey struct{ name, file string }
	funcs := map[fnKey]uint64{}
	var funcMsgs []pb
	locs := map[dumpFrame]uint64{}
	var locMsgs []pb

	var p pb
	// sample_type (1): goroutine/count, like Go's goroutine profile.
	var vt pb
	vt.int(1, str("goroutine"))
	vt.int(2, str("count"))
	p.msg(1, vt)

	kID, kCreator := str("go::goroutine"), str("go::goroutine_created_by")
	kState, kWait := str("go::goroutine_state"), str("go::goroutine_wait_minutes")
	uMinutes := str("minutes")
	for _, g := range gs {
		ids := make([]uint64, 0, len(g.frames))
		for _, f := range g.frames {
			lid, ok := locs[f]
			if !ok {
				fk := fnKey{f.function, f.file}
				fid, ok := funcs[fk]
				if !ok {
					fid = uint64(len(funcMsgs) + 1)
					funcs[fk] = fid
					var m pb
					m.uint(1, fid)
					m.int(2, str(f.function))
					m.int(3, str(f.function))
					m.int(4, str(f.file))
					funcMsgs = append(funcMsgs, m)
				}
				lid = uint64(len(locMsgs) + 1)
				locs[f] = lid
				var line pb
				line.uint(1, fid)
				line.int(2, f.line)
				var m pb
				m.uint(1, lid)
				m.msg(4, line)
				locMsgs = append(locMsgs, m)
			}
			ids = append(ids, lid)
		}
		var s pb
		s.packedUint(1, ids)
		s.packedInt(2, []int64{1})
		s.msg(3, label(kID, 0, g.id, 0))
		if g.creator >= 0 {
			s.msg(3, label(kCreator, 0, g.creator, 0))
		}
		s.msg(3, label(kState, str(g.state), 0, 0))
		if g.waitMinutes >= 0 {
			s.msg(3, label(kWait, 0, g.waitMinutes, uMinutes))
		}
		for _, kv := range g.labels {
			s.msg(3, label(str(kv[0]), str(kv[1]), 0, 0))
		}
		p.msg(2, s)
	}
	for _, m := range locMsgs {
		p.msg(4, m)
	}
	for _, m := range funcMsgs {
		p.msg(5, m)
	}
	comment := str("one sample per goroutine, built from the debug=2 goroutine dump")
	for _, s := range table {
		p.bytes(6, []byte(s))
	}
	p.int(9, now.UnixNano())
	// period_type (11): goroutine/count, period 1; its strings are in the table already.
	var pt pb
	pt.int(1, strs["goroutine"])
	pt.int(2, strs["count"])
	p.msg(11, pt)
	p.int(12, 1)
	p.packedInt(13, []int64{comment})
	return p.b
}

func label(key, str, num, unit int64) pb {
	var l pb
	l.int(1, key)
	l.int(2, str)
	l.int(3, num)
	l.int(4, unit)
	return l
}

// pb is a minimal protocol buffer encoder: varints, length-delimited fields
// and packed repeated varints. Zero scalars are left out (proto3 defaults).
type pb struct{ b []byte }

func (p *pb) varint(x uint64) {
	for x >= 0x80 {
		p.b = append(p.b, byte(x)|0x80)
		x >>= 7
	}
	p.b = append(p.b, byte(x))
}

func (p *pb) key(field int, wire uint64) { p.varint(uint64(field)<<3 | wire) }

func (p *pb) uint(field int, x uint64) {
	if x != 0 {
		p.key(field, 0)
		p.varint(x)
	}
}

func (p *pb) int(field int, x int64) { p.uint(field, uint64(x)) }

func (p *pb) bytes(field int, b []byte) {
	p.key(field, 2)
	p.varint(uint64(len(b)))
	p.b = append(p.b, b...)
}

func (p *pb) msg(field int, m pb) { p.bytes(field, m.b) }

func (p *pb) packedUint(field int, xs []uint64) {
	var q pb
	for _, x := range xs {
		q.varint(x)
	}
	p.bytes(field, q.b)
}

func (p *pb) packedInt(field int, xs []int64) {
	var q pb
	for _, x := range xs {
		q.varint(uint64(x))
	}
	p.bytes(field, q.b)
}
