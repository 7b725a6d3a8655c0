"""Fakes of the outside world for tests: a real local SMTP server and an SMS gateway."""

from tests.fakes.sms_gateway import FakeSmsGateway, GatewayRequest
from tests.fakes.smtp import LocalSmtpServer, Received

__all__ = ["FakeSmsGateway", "GatewayRequest", "LocalSmtpServer", "Received"]
