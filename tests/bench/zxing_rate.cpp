// zxing_rate.cpp: the measurement behind keeping zxing-cpp or not, for
// tests/bench/zxing.sh. Arguments: EXPECTED_DIR then PGM files named
// KIND-WHO.pgm (WHO.txt in EXPECTED_DIR holds the code's text) or
// empty-N.pgm (no code). For each picture with a code: does zbar find
// the text (every second line first, then every line, as common/scan.c
// does), and does zxing-cpp when zbar does not; for the pictures
// without a code: the milliseconds zxing-cpp spends on each (what it
// would cost on every frame with nothing in view). One line per kind,
// then the totals.
// zbar first: zxing-cpp's headers define a macro that zbar's C++ part uses
// as a name.
#include <zbar.h>

#include <ZXing/ReadBarcode.h>

using namespace zbar;

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

struct pic {
	int w = 0, h = 0;
	std::vector<unsigned char> px;
};

static bool load_pgm(const std::string &path, pic &p)
{
	std::ifstream f(path, std::ios::binary);
	std::string magic;
	int max = 0;

	if (!(f >> magic >> p.w >> p.h >> max) || magic != "P5" || max != 255 || p.w <= 0 || p.h <= 0)
		return false;
	f.get();
	p.px.resize((size_t)p.w * p.h);
	return (bool)f.read((char *)p.px.data(), (std::streamsize)p.px.size());
}

static bool zbar_finds(zbar_image_scanner_t *sc, const pic &p, const std::string &want)
{
	bool found = false;

	for (int density = 2; density >= 1 && !found; density--) {
		zbar_image_t *zi = zbar_image_create();

		zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_X_DENSITY, density);
		zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_Y_DENSITY, density);
		zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
		zbar_image_set_size(zi, (unsigned)p.w, (unsigned)p.h);
		zbar_image_set_data(zi, p.px.data(), p.px.size(), nullptr);
		if (zbar_scan_image(sc, zi) > 0)
			for (const zbar_symbol_t *s = zbar_image_first_symbol(zi); s; s = zbar_symbol_next(s))
				found |= want == std::string(zbar_symbol_get_data(s), zbar_symbol_get_data_length(s));
		zbar_image_destroy(zi);
	}
	return found;
}

static ZXing::DecodeHints hints()
{
	ZXing::DecodeHints h;

	h.setFormats(ZXing::BarcodeFormat::QRCode);
	h.setTryHarder(true);
	h.setTryRotate(true);
	return h;
}

static bool zxing_finds(const pic &p, const std::string &want)
{
	ZXing::ImageView iv(p.px.data(), p.w, p.h, ZXing::ImageFormat::Lum);

	for (const auto &r : ZXing::ReadBarcodes(iv, hints()))
		if (r.isValid() && r.text() == want)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	std::map<std::string, std::pair<int, int>> zb, both; // kind -> (found, of)
	std::vector<std::string> order;
	std::vector<double> empty_ms;
	int tz = 0, tb = 0, n = 0;
	zbar_image_scanner_t *sc = zbar_image_scanner_create();

	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	for (int i = 2; i < argc; i++) {
		std::string path = argv[i], base = path.substr(path.rfind('/') + 1);
		std::string kind = base.substr(0, base.rfind('-'));
		std::string who = base.substr(base.rfind('-') + 1, base.rfind('.') - base.rfind('-') - 1);
		pic p;

		if (!load_pgm(path, p)) {
			std::fprintf(stderr, "zxing_rate: %s: not a PGM\n", path.c_str());
			return 2;
		}
		if (kind == "empty") {
			ZXing::ImageView iv(p.px.data(), p.w, p.h, ZXing::ImageFormat::Lum);
			auto t0 = std::chrono::steady_clock::now();
			(void)ZXing::ReadBarcodes(iv, hints());
			empty_ms.push_back(std::chrono::duration<double, std::milli>(
						   std::chrono::steady_clock::now() - t0)
						   .count());
			continue;
		}
		std::ifstream t(std::string(argv[1]) + "/" + who + ".txt");
		std::stringstream ss;
		ss << t.rdbuf();
		std::string want = ss.str();
		while (!want.empty() && (want.back() == '\n' || want.back() == '\r'))
			want.pop_back();
		bool z = zbar_finds(sc, p, want), b = z || zxing_finds(p, want);
		if (!zb.count(kind))
			order.push_back(kind);
		zb[kind].first += z;
		zb[kind].second++;
		both[kind].first += b;
		both[kind].second++;
		tz += z;
		tb += b;
		n++;
	}
	std::printf("  %-18s %-14s %s\n", "kind", "zbar alone", "zbar, then zxing-cpp");
	for (const auto &k : order)
		std::printf("  %-18s %d of %-9d %d of %d\n", k.c_str(), zb[k].first, zb[k].second,
			    both[k].first, both[k].second);
	std::printf("  %-18s %d of %-9d %d of %d\n", "all", tz, n, tb, n);
	if (!empty_ms.empty()) {
		std::sort(empty_ms.begin(), empty_ms.end());
		std::printf("  zxing-cpp on a frame with no code (640x480, %zu frames): median %.2f ms, "
			    "max %.2f ms (wall)\n",
			    empty_ms.size(), empty_ms[empty_ms.size() / 2], empty_ms.back());
	}
	zbar_image_scanner_destroy(sc);
	return 0;
}
