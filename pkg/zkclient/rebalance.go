package zkclient

// UpdateServerList gives the client a new server list (from the operator's
// published list, or /zookeeper/config). With ZooKeeper's probabilistic rule
// some clients move to keep the load even; a client that moves closes its
// connection and reattaches its session to the chosen server. A chroot in
// connectString is ignored: the session keeps its own.
func (c *Conn) UpdateServerList(connectString string) error {
	hosts, _, err := ParseConnectString(connectString)
	if err != nil {
		return err
	}
	// The decision and the disconnection under one lock: no one sees the new
	// list (Servers) while Server still names a server the client leaves.
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if c.hosts.UpdateServerList(hosts, c.Server()) {
		c.log.Info("zkclient: moving to rebalance the ensemble", "servers", hosts)
		c.reconnect()
	}
	return nil
}

// Servers is the current server list.
func (c *Conn) Servers() []string {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	return c.hosts.Servers()
}
