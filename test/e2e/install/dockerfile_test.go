package install

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// dockerfile is what the image tests need of the Dockerfile: its stages in
// order, each with its instructions. No docker engine is needed to read it,
// so the image's promises (static, non-root, the binary on the PATH) are
// checked where it cannot be built.
type dockerfile struct {
	stages []stage
}

// stage is one FROM and the instructions up to the next.
type stage struct {
	base, name   string
	instructions []instruction
}

// instruction is one Dockerfile line, continuations joined: the keyword in
// upper case and the rest as written.
type instruction struct {
	keyword, args string
}

// parseDockerfile reads the instructions of a Dockerfile: comments and
// blank lines dropped, lines ending in a backslash joined. An instruction
// before the first FROM (ARG, the syntax directive) has no stage and fails
// the test unless it is an ARG.
func parseDockerfile(t *testing.T, data []byte) dockerfile {
	t.Helper()
	var (
		df      dockerfile
		pending string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		line, pending = pending+line, ""
		keyword, args, _ := strings.Cut(line, " ")
		ins := instruction{keyword: strings.ToUpper(keyword), args: strings.TrimSpace(args)}
		if ins.keyword == "FROM" {
			f := strings.Fields(ins.args)
			st := stage{base: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			df.stages = append(df.stages, st)
			continue
		}
		if len(df.stages) == 0 {
			if ins.keyword != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", ins.keyword)
			}
			continue
		}
		last := &df.stages[len(df.stages)-1]
		last.instructions = append(last.instructions, ins)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if pending != "" {
		t.Fatalf("Dockerfile ends in a continued line: %q", pending)
	}
	return df
}

// all returns the arguments of every instruction of the stage with this
// keyword.
func (s stage) all(keyword string) []string {
	var out []string
	for _, ins := range s.instructions {
		if ins.keyword == keyword {
			out = append(out, ins.args)
		}
	}
	return out
}

// stageNamed finds a stage by its AS name.
func (d dockerfile) stageNamed(name string) (stage, bool) {
	for _, s := range d.stages {
		if s.name == name {
			return s, true
		}
	}
	return stage{}, false
}
