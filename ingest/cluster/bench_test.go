package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchPayload is about the size of a Comm100 chat webhook (600 bytes).
func benchPayload() []byte {
	return fmt.Appendf(nil, `{"event":"chatStarted","siteId":10000,"chat":{"id":"%s","visitor":{"id":"v-1","name":"Visitor","email":"visitor@example.com"},"agents":[{"id":"a-1","name":"Agent"}],"department":"Sales","transcript":"%s"}}`,
		"c0ffee00-0000-4000-8000-000000000000", strings.Repeat("x", 380))
}

// BenchmarkPublishSync3Nodes publishes to a three-node cluster on
// loopback with sync writes (R3 file stream, SyncAlways): one publisher
// (each op waits for the quorum's ack) and 32 concurrent publishers (as
// many webhooks at once).
func BenchmarkPublishSync3Nodes(b *testing.B) {
	c := newTestCluster(b, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	j, err := OpenJournal(ctx, c.nodes[0], JournalConfig{})
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	payload := benchPayload()
	e := Entry{Source: "comm100", Kind: "chat_started", Payload: payload}
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, _, err := j.Publish(context.Background(), e, ""); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
	})
	b.Run("parallel32", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.SetParallelism(16) // 16 x GOMAXPROCS(2) = 32 publishers
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := j.Publish(context.Background(), e, ""); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
	})
}
