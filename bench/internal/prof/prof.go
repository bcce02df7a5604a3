// Package prof starts the CPU profiles the bench commands write on request.
package prof

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// StartCPU writes a CPU profile to path until the returned stop is called.
// With path "" it does nothing (and stop does nothing).
func StartCPU(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
