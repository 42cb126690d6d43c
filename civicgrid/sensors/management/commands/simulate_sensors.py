"""Publish simulated readings of registered devices to the MQTT broker (sensors.simulator)."""

import random
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from civicgrid.core import clock
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.sensors.models import Device
from civicgrid.sensors.simulator import Published, SimDevice, Simulator, publish


def positive(kind: type) -> Any:
    def check(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise ValueError(text)
        return value

    check.__name__ = kind.__name__
    return check


class Command(BaseCommand):
    help = _(
        "模拟物联设备：按日常用水规律等生成读数（偶有异常），以 QoS 1 发布到 MQTT 代理，"
        "无需真实设备即可演示和测试整条链路。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--devices", type=positive(int), default=20, metavar="N", help=_("模拟的设备数"))
        parser.add_argument(
            "--rate", type=positive(float), default=10.0, metavar="R", help=_("每秒读数（合计）")
        )
        parser.add_argument("--minutes", type=positive(float), default=1.0, metavar="M", help=_("运行分钟数"))
        parser.add_argument("--street", default="", help=_("只模拟该街道（代码或名称）的设备"))
        parser.add_argument("--broker", default=settings.CIVICGRID_MQTT_URL, help=_("MQTT 代理地址"))
        parser.add_argument("--topic-prefix", default="civicgrid/sensors", help=_("主题前缀"))
        parser.add_argument("--seed", type=int, default=1, help=_("随机种子"))
        parser.add_argument(
            "--batch", type=positive(int), default=1, help=_("每条消息的读数数（网关批量上报）")
        )
        parser.add_argument(
            "--speed",
            type=positive(float),
            default=1 / 60,
            help=_("时间压缩：每真实秒模拟的分钟数（默认实时；24 即一分钟演完一天）"),
        )
        parser.add_argument(
            "--anomaly-rate", type=float, default=0.002, help=_("每条读数开始一次异常的概率（默认 0.002）")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        devices = self._devices(options["street"], options["devices"], options["seed"])
        if not 0 <= options["anomaly_rate"] <= 1:
            raise CommandError(_("--anomaly-rate 须在 0 到 1 之间"))
        rate, seconds = options["rate"], options["minutes"] * 60
        count = max(1, round(rate * seconds))
        # Simulated seconds per real second; the simulated span ends when the run does, so no
        # reading lies in the future of the consumer's clock.
        ratio = options["speed"] * 60
        span = timedelta(seconds=seconds * ratio)
        if span - timedelta(seconds=seconds) > timedelta(hours=settings.CIVICGRID_SENSORS_MAX_AGE_HOURS):
            raise CommandError(
                _("模拟时长超过 %(hours)d 小时，最早的读数会因时间偏差被拒收：请减小 --speed 或 --minutes")
                % {"hours": settings.CIVICGRID_SENSORS_MAX_AGE_HOURS}
            )
        simulator = Simulator(
            devices=devices,
            start=clock.now() - span + timedelta(seconds=seconds),
            interval=timedelta(seconds=len(devices) / rate * ratio),
            seed=options["seed"],
            anomaly_rate=options["anomaly_rate"],
        )

        def progress(done: Published) -> None:
            self.stdout.write(f"{done.readings} / {count} ({done.readings / done.seconds:,.0f}/s)")

        try:
            done = publish(
                simulator,
                url=options["broker"],
                prefix=options["topic_prefix"].rstrip("/"),
                count=count,
                rate=rate,
                batch=options["batch"],
                client_id=f"civicgrid-sim-{uuid.uuid4().hex[:8]}",
                progress=None if options["verbosity"] == 0 else progress,
            )
        except OSError as exc:
            raise CommandError(
                _("无法连接 MQTT 代理 %(url)s：%(error)s") % {"url": options["broker"], "error": exc}
            ) from exc
        self.stdout.write(
            _(
                "已发布 %(readings)d 条读数（%(messages)d 条消息，%(devices)d 台设备，"
                "%(anomalies)d 次异常），用时 %(seconds).1f 秒"
            )
            % {
                "readings": done.readings,
                "messages": done.messages,
                "devices": len(devices),
                "anomalies": simulator.started,
                "seconds": done.seconds,
            }
        )

    def _devices(self, street: str, n: int, seed: int) -> list[SimDevice]:
        devices = Device.objects.filter(active=True, type__active=True)
        if street:
            found = Area.objects.filter(kind=AreaKind.STREET).filter(Q(code=street) | Q(name=street)).first()
            if found is None:
                raise CommandError(_("没有这个街道：%(street)s") % {"street": street})
            devices = devices.filter(street=found)
        rows = [
            SimDevice(t, v)
            for t, v in devices.order_by("type__code", "vendor_id").values_list("type__code", "vendor_id")
        ]
        if not rows:
            raise CommandError(_("没有可模拟的在用设备（先登记设备，或载入演示数据）"))
        if len(rows) <= n:
            return rows
        # A seeded sample keeps the mix of types; sorted, so the stream is stable per seed.
        picked = sorted(random.Random(seed).sample(range(len(rows)), n))
        return [rows[i] for i in picked]
