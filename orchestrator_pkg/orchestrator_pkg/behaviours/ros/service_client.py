"""A generic, non-blocking service-client behaviour.

The request goes out in ``initialise`` (``call_async``), ``update`` polls the
future, and a halt drops the pending request. Waiting for the server
(:class:`~orchestrator_pkg.ros_edge.leaf.RosLeaf`'s server wait) and for the
response both time out on the behaviour's clock.

ROS interface
-------------
Services (client)
    ``service_name`` of type ``srv_type``.
"""
from typing import Any, Callable, Optional

from py_trees.common import Status

from orchestrator_pkg.ros_edge.leaf import INPUT_ERRORS, RosLeaf
from orchestrator_pkg.trees.failure import FailureCode


class ServiceClientBehaviour(RosLeaf):
    """Call a service once per run and map the response to a status.

    Args:
        name: instance name.
        srv_type: the generated service class.
        service_name: the server's name.
        request_factory: builds the request at ``initialise``; may raise
            ``ValueError``/``KeyError``/``LookupError`` (→ INVALID_INPUT).
        on_response: ``on_response(response) -> Status | None``; None means
            SUCCESS. A FAILURE it returns carries code CONDITION_FAILED.
        server_wait_timeout_s: how long to wait for the service to appear (s);
            None: the node's ``server_wait_timeout_s`` (see RosLeaf).
        response_timeout_s: how long to wait for the response.
        node_type: registered node type, for failure reasons.
        clock: an engine clock; default the node's clock.
    """

    def __init__(self, name: str, srv_type, service_name: str,
                 request_factory: Optional[Callable[[], Any]] = None, *,
                 on_response: Optional[Callable[[Any], Optional[Status]]] = None,
                 server_wait_timeout_s: Optional[float] = None, response_timeout_s: float = 5.0,
                 node_type: str = '', clock=None):
        super().__init__(name, node_type=node_type, clock=clock,
                         server_wait_timeout_s=server_wait_timeout_s)
        self.srv_type = srv_type
        self.service_name = service_name
        self.request_factory = request_factory or srv_type.Request
        self.on_response = on_response
        self.response_timeout_s = float(response_timeout_s)
        self.interface = (f'{srv_type.__module__.split(".")[0]}/srv/{srv_type.__name__}')
        self._client = None
        self._future = None
        self._request = None
        self._state = 'idle'

    def connect(self, node) -> None:
        """Take the node's client for the service (shared with the node's other leaves)."""
        self._client = self.shared_client(node, 'service', self.srv_type, self.service_name)

    def initialise(self) -> None:
        """Build the request and call if the service is up."""
        super().initialise()
        self._future = None
        self._state = 'waiting_server'
        try:
            self._request = self.request_factory()
        except INPUT_ERRORS as exc:
            self.fail(FailureCode.INVALID_INPUT, f'cannot build the request: {exc}')
            return
        if self.server_wait(self._client.service_is_ready(),
                            f'service {self.service_name}') is None:
            self._call()

    def update(self) -> Status:
        """Poll for the service, then for the response."""
        if self.failure is not None:
            return Status.FAILURE
        if self._state == 'waiting_server':
            waiting = self.server_wait(self._client.service_is_ready(),
                                       f'service {self.service_name}')
            if waiting is not None:
                return waiting
            self._call()
        if not self._future.done():
            if self.timed_out(self.server_wait_timeout_s + self.response_timeout_s):
                self._drop_pending()
                return self.fail(FailureCode.TIMEOUT,
                                 f'no response from {self.service_name} within '
                                 f'{self.response_timeout_s:g} s')
            return Status.RUNNING
        response = self._future.result()
        self._state = 'done'
        status = self.on_response(response) if self.on_response is not None else None
        if status is None or status == Status.SUCCESS:
            self.feedback_message = 'response received'
            return Status.SUCCESS
        if status == Status.FAILURE:
            return self.fail(FailureCode.CONDITION_FAILED,
                             f'the response of {self.service_name} means failure')
        return status

    def terminate(self, new_status: Status) -> None:
        """Drop a pending request when halted."""
        super().terminate(new_status)
        if new_status == Status.INVALID:
            self._drop_pending()
            self._state = 'idle'

    def _call(self):
        self._future = self._client.call_async(self._request)
        self._state = 'called'
        self.feedback_message = 'request sent, waiting for response'

    def _drop_pending(self):
        if self._future is not None and not self._future.done() and self._client is not None:
            self._client.remove_pending_request(self._future)
            self._future.cancel()
