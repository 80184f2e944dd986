// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_splice: splice two established TCP connections of a proxy in the
 * kernel.  Module entry points and per-namespace setup.
 *
 * File map:
 *   main.c      module init/exit, per-namespace init/exit
 *   device.c    /dev/tcp_splice ioctl
 *   netlink.c   generic netlink family: splice, get/dump, flush, stats, events
 *   handoff.c   validation, cut, splice points (the exact handoff)
 *   hooks.c     netfilter hooks: the packet path
 *   xlate.c     segment parsing and header rewriting, checksums
 *   session.c   session table, timers, teardown
 *   sysctl.c    /proc/sys/net/tcp_splice/
 *   proc.c      /proc/net/tcp_splice_conn, /proc/net/stat/tcp_splice
 *   conn_fmt.c  one /proc line (pure, unit-tested on the host)
 *   stats.c     counters
 */
#include <linux/module.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "session.h"

unsigned int tsp_net_id __read_mostly;

static int __net_init tsp_net_init(struct net *net)
{
	struct tsp_net *tn = tsp_pernet(net);
	int err;

	tn->net = net;
	INIT_LIST_HEAD(&tn->list);
	spin_lock_init(&tn->list_lock);
	atomic_set(&tn->count, 0);
	tsp_sysctl_defaults(tn);
	tn->stats = alloc_percpu(struct tsp_stats);
	if (!tn->stats)
		return -ENOMEM;
	err = tsp_table_init(tn);
	if (err)
		goto err_stats;
	err = tsp_sysctl_register(tn);
	if (err)
		goto err_table;
	err = tsp_proc_init(net);
	if (err)
		goto err_sysctl;
	err = tsp_hooks_register(net);
	if (err)
		goto err_proc;
	tn->hooks_on = true;
	return 0;

err_proc:
	tsp_proc_exit(net);
err_sysctl:
	tsp_sysctl_unregister(tn);
err_table:
	tsp_table_destroy(tn);
err_stats:
	free_percpu(tn->stats);
	return err;
}

/*
 * A namespace goes away only once its sockets are gone, and a session
 * holds its sockets: sessions normally ended long before.  On module
 * unload, though, every live session is ended here (peers reset).
 */
static void __net_exit tsp_net_exit(struct net *net)
{
	struct tsp_net *tn = tsp_pernet(net);

	tsp_sessions_flush(tn, TSP_END_UNLOAD);
	if (tn->hooks_on)
		tsp_hooks_unregister(net);
	tsp_proc_exit(net);
	tsp_sysctl_unregister(tn);
	tsp_table_destroy(tn);
	free_percpu(tn->stats);
}

static struct pernet_operations tsp_net_ops = {
	.init	= tsp_net_init,
	.exit	= tsp_net_exit,
	.id	= &tsp_net_id,
	.size	= sizeof(struct tsp_net),
};

static int __init tsp_init(void)
{
	int err;

	err = tsp_sessions_init();
	if (err)
		return err;
	err = register_pernet_subsys(&tsp_net_ops);
	if (err)
		goto err_wq;
	err = tsp_netlink_init();
	if (err)
		goto err_pernet;
	err = tsp_device_init();
	if (err)
		goto err_netlink;
	pr_info("tcp_splice: loaded (ABI %d)\n", TCP_SPLICE_ABI_VERSION);
	return 0;

err_netlink:
	tsp_netlink_exit();
err_pernet:
	unregister_pernet_subsys(&tsp_net_ops);
err_wq:
	tsp_sessions_exit();
	return err;
}

/*
 * End every namespace's sessions while the netlink family still exists,
 * so that listeners get their END events with reason "unload".  Sessions
 * a racing splice call publishes later are refused (tsp_unloading) and
 * tsp_net_exit() finds none left.
 */
static void __exit tsp_end_all(void)
{
	struct net *net;

	WRITE_ONCE(tsp_unloading, true);
	smp_mb();		/* pairs with tsp_splice_net() */
	down_read(&net_rwsem);
	for_each_net(net)
		tsp_sessions_flush(tsp_pernet(net), TSP_END_UNLOAD);
	up_read(&net_rwsem);
}

static void __exit tsp_exit(void)
{
	tsp_device_exit();
	tsp_end_all();
	tsp_netlink_exit();
	unregister_pernet_subsys(&tsp_net_ops);
	rcu_barrier();		/* session frees queued with call_rcu */
	tsp_sessions_exit();
	pr_info("tcp_splice: unloaded\n");
}

module_init(tsp_init);
module_exit(tsp_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("tcp_splice developers");
MODULE_DESCRIPTION("Splice two established TCP connections in the kernel");
MODULE_VERSION("0.1");
