// raft-busy: a healthy, busy three-node etcd raft cluster in one process.
// Each node runs the raft library's node loop and an application loop that
// ticks it, persists and applies its Ready batches and delivers messages to
// the peers over channels; eight clients propose entries in a loop. Nothing
// here is stuck: every loop is woken by the next tick, message or proposal.
package main

import (
	"context"
	"fmt"
	"time"

	"example.com/shop/dumpkit"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

type member struct {
	id      uint64
	node    raft.Node
	storage *raft.MemoryStorage
	inbox   chan *raftpb.Message
	applied uint64
}

func main() {
	ids := []uint64{1, 2, 3}
	peers := make([]raft.Peer, len(ids))
	for i, id := range ids {
		peers[i] = raft.Peer{ID: id}
	}
	cluster := map[uint64]*member{}
	for _, id := range ids {
		storage := raft.NewMemoryStorage()
		cfg := &raft.Config{
			ID:              id,
			ElectionTick:    10,
			HeartbeatTick:   1,
			Storage:         storage,
			MaxSizePerMsg:   1 << 20,
			MaxInflightMsgs: 256,
		}
		cluster[id] = &member{id: id, node: raft.StartNode(cfg, peers), storage: storage,
			inbox: make(chan *raftpb.Message, 1024)}
	}
	for _, m := range cluster {
		go m.run(cluster)
	}
	for i := 0; i < 8; i++ {
		go propose(cluster, i)
	}
	time.Sleep(2 * time.Second)
	dumpkit.Dump()
}

func (m *member) run(cluster map[uint64]*member) {
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			m.node.Tick()
		case msg := <-m.inbox:
			_ = m.node.Step(context.Background(), msg)
		case rd := <-m.node.Ready():
			if !raft.IsEmptyHardState(rd.HardState) {
				_ = m.storage.SetHardState(rd.HardState)
			}
			_ = m.storage.Append(rd.Entries)
			for _, msg := range rd.Messages {
				if peer, ok := cluster[msg.GetTo()]; ok {
					select {
					case peer.inbox <- msg:
					default: // a full inbox drops the message, as a lossy network would
					}
				}
			}
			for _, entry := range rd.CommittedEntries {
				m.applied = entry.GetIndex()
				if entry.GetType() == raftpb.EntryType_EntryConfChange {
					cc := &raftpb.ConfChange{}
					if proto.Unmarshal(entry.GetData(), cc) == nil {
						m.node.ApplyConfChange(cc)
					}
				}
			}
			m.node.Advance()
		}
	}
}

func propose(cluster map[uint64]*member, client int) {
	for n := 0; ; n++ {
		for _, m := range cluster {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_ = m.node.Propose(ctx, []byte(fmt.Sprintf("client %d entry %d", client, n)))
			cancel()
		}
		time.Sleep(time.Millisecond)
	}
}
