# A recursive topological sort: right on small graphs, a RecursionError on a 10,000-node chain.
def _recursive_backward(self):
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(self)
    self.grad = 1
    for node in reversed(topo):
        node._backward()


Value.backward = _recursive_backward
