"""core.text: jieba's words of a text, without single characters, numbers, punctuation or the
caller's stop words."""

from django.test import SimpleTestCase

from civicgrid.core import text


class WordsTests(SimpleTestCase):
    def test_words(self) -> None:
        self.assertEqual(
            text.words("小区居民反映：3号楼楼道里电动车飞线充电，已经2次了"),
            ["小区", "居民", "反映", "号楼", "楼道", "电动车", "飞线", "充电", "已经"],
        )

    def test_stop_words(self) -> None:
        self.assertEqual(text.words("楼道里电动车飞线充电", stop={"楼道", "充电"}), ["电动车", "飞线"])

    def test_one_segmenter(self) -> None:
        self.assertIs(text.segmenter(), text.segmenter())
