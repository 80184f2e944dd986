#!/bin/bash
# /proc/sys/net/tcp_splice/: the ancestor's knobs with their defaults;
# garbage, negative and huge writes fail with EINVAL and change nothing;
# valid writes stick.
# timeout: 120
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
mod_load
D=/proc/sys/net/tcp_splice
declare -A def=(
	[timeout_established]=900 [timeout_synsent]=120 [timeout_synrecv]=60
	[timeout_finwait]=120 [timeout_timewait]=120 [timeout_close]=10
	[timeout_closewait]=60 [timeout_lastack]=30 [timeout_listen]=120
	[timeout_synack]=120 [debug_level]=0
)

# the ancestor's knobs must all be there; later issues may add more
extra=()
for f in "$D"/*; do
	[ -n "${def[${f##*/}]:-}" ] || extra+=("${f##*/}")
done
[ ${#extra[@]} -gt 0 ] && log "knobs beyond the ancestor's: ${extra[*]}"

for k in "${!def[@]}"; do
	[ -f "$D/$k" ] || fail "no $D/$k"
	v=$(read_file "$D/$k") || fail "cannot read $D/$k"
	assert_eq "$v" "${def[$k]}" "default of $k"
done

for k in "${!def[@]}"; do
	for bad in abc -1 -900 99999999999 12abc 0x; do
		assert_write_errno "$D/$k" "$bad" EINVAL
	done
	v=$(read_file "$D/$k")
	assert_eq "$v" "${def[$k]}" "$k after the rejected writes"
done

# valid writes stick (one write() each; also with a trailing newline)
for k in "${!def[@]}"; do
	new=7
	[ "$k" = debug_level ] && new=1
	write_file "$D/$k" "$new" || fail "writing $new to $k failed: $TSP_ERR"
	assert_eq "$(read_file "$D/$k")" "$new" "$k after writing $new"
	write_file "$D/$k" "${def[$k]}
" || fail "writing '${def[$k]}\\n' to $k failed: $TSP_ERR"
	assert_eq "$(read_file "$D/$k")" "${def[$k]}" "$k after restoring"
done
write_file "$D/timeout_established" 86400 || fail "writing 86400 (a day) failed: $TSP_ERR"
assert_eq "$(read_file "$D/timeout_established")" 86400 "timeout_established of a day"
# reset_on_timeout: a flag, 1 by default
assert_eq "$(read_file "$D/reset_on_timeout")" 1 "default of reset_on_timeout"
for bad in 2 -1 abc; do
	assert_write_errno "$D/reset_on_timeout" "$bad" EINVAL
done
write_file "$D/reset_on_timeout" 0 || fail "writing 0 to reset_on_timeout failed: $TSP_ERR"
assert_eq "$(read_file "$D/reset_on_timeout")" 0 "reset_on_timeout after writing 0"
write_file "$D/reset_on_timeout" 1 || fail "writing 1 to reset_on_timeout failed: $TSP_ERR"
# the sysctl(8) path too
if command -v sysctl > /dev/null; then
	sysctl -q -w net.tcp_splice.timeout_close=3 || fail "sysctl -w net.tcp_splice.timeout_close=3 failed"
	assert_eq "$(read_file "$D/timeout_close")" 3 "timeout_close after sysctl -w"
fi
exit 0
