// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/tcp_splice_conn (one line per IPv4 session, the ancestor's
 * format), /proc/net/tcp_splice_conn6 (IPv6 sessions)
 * and /proc/net/stat/tcp_splice (the counters, name value per line).
 */
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "conn_fmt.h"
#include "session.h"

static void *tsp_conn_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct tsp_net *tn = tsp_pernet(seq_file_net(seq));

	rcu_read_lock();
	if (*pos == 0)
		return SEQ_START_TOKEN;
	return seq_list_start_rcu(&tn->list, *pos - 1);
}

static void *tsp_conn_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct tsp_net *tn = tsp_pernet(seq_file_net(seq));

	if (v == SEQ_START_TOKEN) {
		++*pos;
		return seq_list_start_rcu(&tn->list, 0);
	}
	return seq_list_next_rcu(v, &tn->list, pos);
}

static void tsp_conn_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

static long tsp_conn_expires(const struct tsp_session *s)
{
	long left = (long)(READ_ONCE(s->expires) - jiffies);

	return left > 0 ? DIV_ROUND_UP(left, HZ) : 0;
}

/* IPv4 sessions, the ancestor's format. */
static int tsp_conn_show(struct seq_file *seq, void *v)
{
	struct tsp_conn_view cv;
	struct tsp_session *s;
	char line[128];

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, TSP_CONN_HEADER);
		return 0;
	}
	s = list_entry(v, struct tsp_session, list);
	if (s->v6)
		return SEQ_SKIP;
	cv.from_ip = ntohl(tsp_peer_addr(s, 0).s6_addr32[3]);
	cv.from_port = ntohs(tsp_peer_port(s, 0));
	cv.to_ip = ntohl(tsp_local_addr(s, 0).s6_addr32[3]);
	cv.to_port = ntohs(tsp_local_port(s, 0));
	cv.local_ip = ntohl(tsp_local_addr(s, 1).s6_addr32[3]);
	cv.local_port = ntohs(tsp_local_port(s, 1));
	cv.dest_ip = ntohl(tsp_peer_addr(s, 1).s6_addr32[3]);
	cv.dest_port = ntohs(tsp_peer_port(s, 1));
	cv.state = tsp_state_name(READ_ONCE(s->state));
	cv.expires = tsp_conn_expires(s);
	tsp_fmt_conn(line, sizeof(line), &cv);
	seq_puts(seq, line);
	return 0;
}

/* IPv6 sessions, in tcp_splice_conn6. */
static int tsp_conn6_show(struct seq_file *seq, void *v)
{
	struct tsp_conn6_view cv;
	struct tsp_session *s;
	char line[192];

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, TSP_CONN_HEADER);
		return 0;
	}
	s = list_entry(v, struct tsp_session, list);
	if (!s->v6)
		return SEQ_SKIP;
	cv.ip[0] = tsp_peer_addr(s, 0).s6_addr;
	cv.ip[1] = tsp_local_addr(s, 0).s6_addr;
	cv.ip[2] = tsp_local_addr(s, 1).s6_addr;
	cv.ip[3] = tsp_peer_addr(s, 1).s6_addr;
	cv.port[0] = ntohs(tsp_peer_port(s, 0));
	cv.port[1] = ntohs(tsp_local_port(s, 0));
	cv.port[2] = ntohs(tsp_local_port(s, 1));
	cv.port[3] = ntohs(tsp_peer_port(s, 1));
	cv.state = tsp_state_name(READ_ONCE(s->state));
	cv.expires = tsp_conn_expires(s);
	tsp_fmt_conn6(line, sizeof(line), &cv);
	seq_puts(seq, line);
	return 0;
}

static const struct seq_operations tsp_conn_seq_ops = {
	.start	= tsp_conn_start,
	.next	= tsp_conn_next,
	.stop	= tsp_conn_stop,
	.show	= tsp_conn_show,
};

static const struct seq_operations tsp_conn6_seq_ops = {
	.start	= tsp_conn_start,
	.next	= tsp_conn_next,
	.stop	= tsp_conn_stop,
	.show	= tsp_conn6_show,
};

static int tsp_stat_show(struct seq_file *seq, void *v)
{
	struct tsp_net *tn = tsp_pernet(seq_file_single_net(seq));
	struct tsp_stats st;
	int i;

	tsp_stats_sum(tn, &st);
	seq_printf(seq, "sessions_active %d\n", atomic_read(&tn->count));
	for (i = 0; i < __TCP_SPLICE_STAT_MAX; i++)
		seq_printf(seq, "%s %llu\n", tsp_stat_names[i], st.v[i]);
	return 0;
}

int tsp_proc_init(struct net *net)
{
	if (!proc_create_net("tcp_splice_conn", 0444, net->proc_net,
			     &tsp_conn_seq_ops, sizeof(struct seq_net_private)))
		return -ENOMEM;
	if (!proc_create_net("tcp_splice_conn6", 0444, net->proc_net,
			     &tsp_conn6_seq_ops, sizeof(struct seq_net_private)))
		goto err_conn;
	if (!proc_create_net_single("tcp_splice", 0444, net->proc_net_stat,
				    tsp_stat_show, NULL))
		goto err_conn6;
	return 0;
err_conn6:
	remove_proc_entry("tcp_splice_conn6", net->proc_net);
err_conn:
	remove_proc_entry("tcp_splice_conn", net->proc_net);
	return -ENOMEM;
}

void tsp_proc_exit(struct net *net)
{
	remove_proc_entry("tcp_splice", net->proc_net_stat);
	remove_proc_entry("tcp_splice_conn6", net->proc_net);
	remove_proc_entry("tcp_splice_conn", net->proc_net);
}
