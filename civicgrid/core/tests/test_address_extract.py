"""extract_address: the address a complaint names, in the normaliser's spelling — road + 弄 +
号, estate + 号, full-width digits and spaces folded — and nothing when it names none."""

from django.test import SimpleTestCase

from civicgrid.core.address import extract_address


class ExtractTests(SimpleTestCase):
    def test_found(self) -> None:
        cases = {
            "居民反映乳山路２３５弄 3 号楼道里电动车飞线充电": "乳山路235弄3号",  # full-width, spaces, 号楼
            "家住崂山二村１１号，楼下噪音": "崂山二村11号",  # estate + 号
            "永嘉路492弄门口垃圾满了": "永嘉路492弄",  # a lane alone
            "国定支路28号店铺占道经营": "国定支路28号",  # 支路 is one road kind
            "上海市杨浦区三门路358弄3号漏水": "三门路358弄3号",  # the city/district prefix dropped
            "乌鲁木齐南路66号邻里汇门口": "乌鲁木齐南路66号",  # a long name
            "在明园村5号楼": "明园村5号",
            "隆仁小区12号对面": "隆仁小区12号",
            "平凉路1500弄2－3号": "平凉路1500弄2-3号",  # full-width dash
        }
        for text, address in cases.items():
            with self.subTest(text=text):
                self.assertEqual(extract_address(text), address)

    def test_none(self) -> None:
        for text in ("乳山路附近有人乱停车", "路灯3号不亮", "新路3号", "", "噪音扰民，晚上十点以后"):
            with self.subTest(text=text):
                self.assertEqual(extract_address(text), "")
