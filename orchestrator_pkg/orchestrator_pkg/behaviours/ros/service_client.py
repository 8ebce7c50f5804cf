"""A generic, non-blocking service-client behaviour.

The request goes out in ``initialise`` (``call_async``), ``update`` polls the
future, and a halt drops the pending request. Waiting for the server and for
the response both time out on the behaviour's clock.

ROS interface
-------------
Services (client)
    ``service_name`` of type ``srv_type``.
"""
from typing import Any, Callable, Optional

import py_trees
from py_trees.common import Status

from orchestrator_pkg.behaviours.ros.clock import RosClock
from orchestrator_pkg.behaviours.ros.errors import INPUT_ERRORS
from orchestrator_pkg.trees.failure import Failure, FailureCode


class ServiceClientBehaviour(py_trees.behaviour.Behaviour):
    """Call a service once per run and map the response to a status.

    Args:
        name: instance name.
        srv_type: the generated service class.
        service_name: the server's name.
        request_factory: builds the request at ``initialise``; may raise
            ``ValueError``/``KeyError``/``LookupError`` (→ INVALID_INPUT).
        on_response: ``on_response(response) -> Status | None``; None means
            SUCCESS. A FAILURE it returns carries code CONDITION_FAILED.
        server_wait_timeout_s: how long to wait for the service to appear.
        response_timeout_s: how long to wait for the response.
        node_type: registered node type, for failure reasons.
        clock: an engine clock; default the node's clock.
    """

    def __init__(self, name: str, srv_type, service_name: str,
                 request_factory: Optional[Callable[[], Any]] = None, *,
                 on_response: Optional[Callable[[Any], Optional[Status]]] = None,
                 server_wait_timeout_s: float = 1.0, response_timeout_s: float = 5.0,
                 node_type: str = '', clock=None):
        super().__init__(name)
        self.srv_type = srv_type
        self.service_name = service_name
        self.request_factory = request_factory or srv_type.Request
        self.on_response = on_response
        self.server_wait_timeout_s = float(server_wait_timeout_s)
        self.response_timeout_s = float(response_timeout_s)
        self.node_type = node_type or type(self).__name__
        self.interface = (f'{srv_type.__module__.split(".")[0]}/srv/{srv_type.__name__}')
        self.clock = clock
        self.failure = None
        self.node = None
        self._client = None
        self._future = None
        self._request = None
        self._started = 0.0
        self._state = 'idle'

    def setup(self, **kwargs) -> None:
        """Create the client on ``kwargs['node']``."""
        node = kwargs.get('node')
        if node is None:
            raise KeyError(f'{self.name}: setup() needs node=<rclpy node>')
        self.node = node
        if self.clock is None:
            self.clock = RosClock(node)
        self._client = node.create_client(self.srv_type, self.service_name)

    def shutdown(self) -> None:
        """Destroy the client."""
        if self._client is not None and self.node is not None:
            self.node.destroy_client(self._client)
            self._client = None

    def initialise(self) -> None:
        """Build the request and call if the service is up."""
        self.failure = None
        self._future = None
        self._started = self.clock.now()
        self._state = 'waiting_server'
        try:
            self._request = self.request_factory()
        except INPUT_ERRORS as exc:
            self._fail(FailureCode.INVALID_INPUT, f'cannot build the request: {exc}')
            return
        if self._client.service_is_ready():
            self._call()
        else:
            self.feedback_message = f'waiting for service {self.service_name}'

    def update(self) -> Status:
        """Poll for the service, then for the response."""
        if self._state == 'failed':
            return Status.FAILURE
        elapsed = self.clock.now() - self._started
        if self._state == 'waiting_server':
            if self._client.service_is_ready():
                self._call()
            elif elapsed > self.server_wait_timeout_s:
                return self._fail(FailureCode.SERVER_UNAVAILABLE,
                                  f'service {self.service_name} not available after '
                                  f'{self.server_wait_timeout_s:g} s')
            else:
                return Status.RUNNING
        if not self._future.done():
            if elapsed > self.server_wait_timeout_s + self.response_timeout_s:
                self._drop_pending()
                return self._fail(FailureCode.TIMEOUT,
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
            return self._fail(FailureCode.CONDITION_FAILED,
                              f'the response of {self.service_name} means failure')
        return status

    def terminate(self, new_status: Status) -> None:
        """Drop a pending request when halted."""
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

    def _fail(self, code: int, message: str) -> Status:
        self._state = 'failed'
        self.failure = Failure(node_type=self.node_type, code=int(code),
                                  message=message)
        self.feedback_message = message
        return Status.FAILURE
