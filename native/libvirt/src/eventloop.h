// libvirt's event loop, our own implementation (virEventRegisterImpl) on epoll, run on one
// detached native thread.
//
// Why not virEventRegisterDefaultImpl: libvirt's default (GLib) loop is woken through its eventfd
// every time a watch changes, and libvirt's RPC client disables and re-enables its socket watch
// around every call, so each cheap call cost extra cross-thread wake-ups of the loop thread
// (strace: ~3 more eventfd writes per virDomainGetInfo than with no loop registered, in
// python3-libvirt too). Here a watch change is one epoll_ctl made by the calling thread — epoll
// takes interest-set changes from any thread while another waits — and the loop thread is woken
// only when it must act: a removed watch or timer whose free callback is due, or a timer deadline
// earlier than the one it sleeps until.
//
// Watch churn under concurrency: a thread leaving an RPC re-enables the connection's socket watch
// (readable, and writable while other calls wait to be sent) even when it has just passed the
// "buck" to another calling thread. Armed at once, the socket (nearly always writable, often
// readable) woke the loop thread, whose callback found another thread owning the socket, did
// nothing, and woke it again until that thread disabled the watch: measured at 16 in flight, 0.7
// loop wake-ups and ~19 us of CPU per call. So while other pool jobs on the same connection are
// running, enabling is only recorded; the last job on that connection to finish arms the watch
// (no wake of the loop thread is needed: epoll takes changes from any thread). A job still on the
// connection either owns the socket (and reads what arrives, events included) or soon will.
#pragma once
#include <libvirt/libvirt.h>

namespace tlv {
namespace eventloop {

/** Registers the implementation and starts its thread; false when that failed. Idempotent. */
bool Start();

/** Pool jobs on `conn`, on the worker thread around the libvirt call. JobBegin returns whether
 *  it counted the job (not when no watch exists at all: local drivers such as test:///); only then
 *  is JobEnd called. */
bool JobBegin(virConnectPtr conn);
void JobEnd(virConnectPtr conn);

}  // namespace eventloop
}  // namespace tlv
