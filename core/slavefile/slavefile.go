package slavefile

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/wire"
)

// Row is one slave of the file.
type Row struct {
	// Line is where the row starts in the file (1 is the first line; for
	// JSON, the line of the object's opening brace). Not written.
	Line int `json:"-"`

	Name string `json:"name"`
	// Direction is "outbound" (the console dials it) or "inbound" (it
	// dials the console); empty means outbound when Address is set,
	// inbound otherwise.
	Direction string `json:"direction,omitempty"`
	Address   string `json:"address,omitempty"`
	Group     string `json:"group,omitempty"`
	// Password is read, never written: the importer derives the key.
	Password string `json:"password,omitempty"`
	// Key is a derived key as FormatKey writes it.
	Key string `json:"key,omitempty"`
	// Fingerprint is the agent's certificate, "SHA256:…", to check at the
	// first contact instead of trusting it.
	Fingerprint string `json:"fingerprint,omitempty"`
	Notes       string `json:"notes,omitempty"`
}

// Format is the file's syntax.
type Format string

const (
	CSV  Format = "csv"
	JSON Format = "json"
)

// FormatOf is the format a file name says: .json is JSON, anything else
// CSV.
func FormatOf(path string) Format {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return JSON
	}
	return CSV
}

// columns are the CSV columns, in the order Write puts them.
var columns = []string{"name", "direction", "address", "group", "key", "fingerprint", "notes"}

// LineError is a line the reader could not take.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Read reads every row of a file in format f. Rows it cannot take are
// reported in bad, each with its line, and reading goes on; err is for a
// file that cannot be read as f at all (no header, not JSON).
func Read(r io.Reader, f Format) (rows []Row, bad []*LineError, err error) {
	if f == JSON {
		return readJSON(r)
	}
	return readCSV(r)
}

func readCSV(r io.Reader) ([]Row, []*LineError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short line is reported as such, below
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, errors.New("the file is empty: the first line must name the columns (name, direction, address, group, password or key, ...)")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the first line must name the columns: %w", err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	if !slices.Contains(cols, "name") {
		// Another file altogether (a log's export, a spreadsheet of
		// something else): say that, rather than fault its first column.
		return nil, nil, fmt.Errorf("this is not a list of slaves: its first line names the columns %s, and a list of slaves has a name column (the columns are %s and password)",
			wire.QuoteUpTo(strings.Join(header, ","), 120), strings.Join(columns, ", "))
	}
	index := map[string]int{}
	for i, h := range header {
		col := cols[i]
		if !known(col) {
			return nil, nil, fmt.Errorf("line 1: unknown column %q; the columns are %s and password", h, strings.Join(columns, ", "))
		}
		if _, dup := index[col]; dup {
			return nil, nil, fmt.Errorf("line 1: column %q is named twice", col)
		}
		index[col] = i
	}
	var rows []Row
	var bad []*LineError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, bad, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, &LineError{Line: pe.StartLine, Err: pe.Err})
				continue
			}
			return rows, bad, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			bad = append(bad, &LineError{Line: line, Err: fmt.Errorf("%s, but the header names %d columns", human.Plural(len(rec), "field", "fields"), len(header))})
			continue
		}
		get := func(col string) string {
			if i, ok := index[col]; ok {
				return rec[i]
			}
			return ""
		}
		row := Row{Line: line, Name: get("name"), Direction: get("direction"), Address: get("address"),
			Group: get("group"), Password: get("password"), Key: get("key"), Fingerprint: get("fingerprint"), Notes: get("notes")}
		row.trim()
		rows = append(rows, row)
	}
}

func known(col string) bool {
	if col == "password" {
		return true
	}
	for _, c := range columns {
		if c == col {
			return true
		}
	}
	return false
}

// readJSON reads an array of objects, one per slave. Each object is
// decoded on its own, so a bad one is reported with its line and the rest
// are read.
func readJSON(r io.Reader) ([]Row, []*LineError, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("not a JSON array of slaves (%v): the file must be [{\"name\": ...}, ...]", err)
	}
	lines := objectLines(data)
	var rows []Row
	var bad []*LineError
	for i, m := range raw {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.DisallowUnknownFields()
		var row Row
		if err := dec.Decode(&row); err != nil {
			bad = append(bad, &LineError{Line: line, Err: fmt.Errorf("slave %d: %v", i+1, err)})
			continue
		}
		row.Line = line
		row.trim()
		rows = append(rows, row)
	}
	return rows, bad, nil
}

// trim drops the spaces around the values whose spaces cannot matter: a
// password and notes are kept as typed.
func (r *Row) trim() {
	for _, p := range []*string{&r.Name, &r.Direction, &r.Address, &r.Group, &r.Key, &r.Fingerprint} {
		*p = strings.TrimSpace(*p)
	}
}

// objectLines is the line of each top-level object's opening brace in a
// JSON array.
func objectLines(data []byte) []int {
	var lines []int
	depth, line := 0, 1
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case c == '\n':
			line++
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if c == '{' && depth == 1 {
				lines = append(lines, line)
			}
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return lines
}

// Write writes rows in format f. Password is never written.
func Write(w io.Writer, rows []Row, f Format) error {
	bw := bufio.NewWriter(w)
	if f == JSON {
		if err := writeJSON(bw, rows); err != nil {
			return err
		}
		return bw.Flush()
	}
	cw := csv.NewWriter(bw)
	if err := cw.Write(columns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.Name, r.Direction, r.Address, r.Group, r.Key, r.Fingerprint, r.Notes}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// writeJSON writes one object per line, so a file of 19,000 slaves stays
// readable and its line numbers mean something.
func writeJSON(w io.Writer, rows []Row) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	for i, r := range rows {
		r.Password = ""
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		sep := ",\n "
		if i == 0 {
			sep = "\n "
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

// keyPrefix starts every key in the file; the version lets a later
// format be told apart.
const keyPrefix = "lanyard-key-v1:argon2id"

// FormatKey writes a derived key with the parameters it was derived with:
// "lanyard-key-v1:argon2id:t=3:m=65536:p=4:" and the key in base64.
func FormatKey(k auth.Key, p auth.KDFParams) string {
	return fmt.Sprintf("%s:t=%d:m=%d:p=%d:%s", keyPrefix, p.Time, p.MemoryKiB, p.Threads, base64.StdEncoding.EncodeToString(k[:]))
}

// ParseKey reads what FormatKey wrote. The error says what is wrong
// without repeating the key.
func ParseKey(s string) (auth.Key, auth.KDFParams, error) {
	var k auth.Key
	var p auth.KDFParams
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), keyPrefix+":")
	if !ok {
		return k, p, fmt.Errorf("the key is not one a Lanyard console exported (it must start with %s:)", keyPrefix)
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 4 {
		return k, p, errors.New("the key is cut or damaged (want t=…:m=…:p=…:KEY after the prefix)")
	}
	for i, f := range []struct {
		name string
		dst  *uint32
	}{{"t", &p.Time}, {"m", &p.MemoryKiB}, {"p", &p.Threads}} {
		v, ok := strings.CutPrefix(parts[i], f.name+"=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return k, p, fmt.Errorf("the key's %s= parameter is missing or not a number", f.name)
		}
		*f.dst = uint32(n)
	}
	if err := p.Validate(); err != nil {
		return k, p, fmt.Errorf("the key's parameters are refused: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(raw) != len(k) {
		return k, p, fmt.Errorf("the key itself is not %d bytes of base64", len(k))
	}
	copy(k[:], raw)
	return k, p, nil
}
