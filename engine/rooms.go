package engine

// memberSet is the set of a room's members homed on one loop. Small sets
// scan a slice; large ones add an index so that removal stays O(1).
type memberSet struct {
	list []*Socket
	pos  map[*Socket]int
}

const memberIndexAt = 16

func (m *memberSet) add(s *Socket) bool {
	if m.has(s) {
		return false
	}
	m.list = append(m.list, s)
	if m.pos != nil {
		m.pos[s] = len(m.list) - 1
	} else if len(m.list) > memberIndexAt {
		m.pos = make(map[*Socket]int, len(m.list)*2)
		for i, x := range m.list {
			m.pos[x] = i
		}
	}
	return true
}

func (m *memberSet) has(s *Socket) bool {
	if m.pos != nil {
		_, ok := m.pos[s]
		return ok
	}
	for _, x := range m.list {
		if x == s {
			return true
		}
	}
	return false
}

func (m *memberSet) remove(s *Socket) bool {
	i := -1
	if m.pos != nil {
		j, ok := m.pos[s]
		if !ok {
			return false
		}
		i = j
		delete(m.pos, s)
	} else {
		for j, x := range m.list {
			if x == s {
				i = j
				break
			}
		}
		if i < 0 {
			return false
		}
	}
	last := len(m.list) - 1
	if i != last {
		m.list[i] = m.list[last]
		if m.pos != nil {
			m.pos[m.list[i]] = i
		}
	}
	m.list[last] = nil
	m.list = m.list[:last]
	return true
}

func (m *memberSet) len() int { return len(m.list) }

// loopIndex is a namespace's view of one loop: the sockets homed there and
// their rooms. Only that loop touches it.
type loopIndex struct {
	all   memberSet
	rooms map[string]*memberSet
}

func (x *loopIndex) join(s *Socket, room string) {
	if x.rooms == nil {
		x.rooms = make(map[string]*memberSet)
	}
	m := x.rooms[room]
	if m == nil {
		m = &memberSet{}
		x.rooms[room] = m
	}
	m.add(s)
}

func (x *loopIndex) leave(s *Socket, room string) {
	m := x.rooms[room]
	if m == nil {
		return
	}
	if m.remove(s) && m.len() == 0 {
		delete(x.rooms, room)
	}
}

// inRoom reports whether s is in room on this loop; a socket's own id is a
// room only it is in.
func (x *loopIndex) inRoom(s *Socket, room string) bool {
	if s.id == room {
		return true
	}
	m := x.rooms[room]
	return m != nil && m.has(s)
}
