//! Great-circle distances and the cardholder's local time.
//!
//! Time zones are not in the authorization: they are derived from the merchant's coordinates (the
//! nearest city of an embedded table of large cities, each with its IANA zone) or, for online
//! merchants, from the country (its first city in the table). Far from every listed city the zone
//! falls back to the solar UTC offset of the longitude.

use std::cell::Cell;
use std::fmt;

use domain::{Country, Timestamp};
use jiff::tz::{Offset, TimeZone};

const EARTH_RADIUS_KM: f64 = 6371.0;
/// A point further than this from every listed city gets the longitude's solar offset.
const NEAREST_CITY_MAX_KM: f64 = 600.0;

/// A WGS 84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "coordinates {lat}, {lon} are not a position on Earth (latitude −90..90, longitude −180..180)"
)]
pub struct BadCoordinates {
    pub lat: String,
    pub lon: String,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Result<Self, BadCoordinates> {
        if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
            Ok(Self { lat, lon })
        } else {
            Err(BadCoordinates {
                lat: lat.to_string(),
                lon: lon.to_string(),
            })
        }
    }

    /// Great-circle (haversine) distance.
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = la2 - la1;
        let dlon = (other.lon - self.lon).to_radians();
        // Most decisions compare points of one region: there the half-angles are small and short
        // series give the same result to about 1e-12 with one sin/cos instead of five calls.
        if dlat.abs() < SMALL_ANGLE && dlon.abs() < SMALL_ANGLE {
            let (sin1, cos1) = la1.sin_cos();
            let cos2 = cos1 * small_cos(dlat) - sin1 * small_sin(dlat);
            let h = small_sin(dlat / 2.0).powi(2) + cos1 * cos2 * small_sin(dlon / 2.0).powi(2);
            return 2.0 * EARTH_RADIUS_KM * small_asin(h.sqrt());
        }
        let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

impl fmt::Display for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}, {:.3}", self.lat, self.lon)
    }
}

/// Angles (radians, about 570 km of latitude) below which the series in `distance_km` are used.
const SMALL_ANGLE: f64 = 0.09;

// Coefficients are constant reciprocals: multiplications, no divisions at run time.

/// sin x for |x| ≤ 0.09: the next term, x¹¹/11!, is below 1e-19.
fn small_sin(x: f64) -> f64 {
    let x2 = x * x;
    x * (1.0
        + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362_880.0)))))
}

/// cos x for |x| ≤ 0.09: the next term, x¹⁰/10!, is below 1e-17.
fn small_cos(x: f64) -> f64 {
    let x2 = x * x;
    1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40_320.0))))
}

/// asin y for 0 ≤ y ≤ 0.07 (half the great-circle angle of two points within `SMALL_ANGLE`):
/// the next term is below 1e-14 of y.
fn small_asin(y: f64) -> f64 {
    let y2 = y * y;
    y * (1.0 + y2 * (1.0 / 6.0 + y2 * (3.0 / 40.0 + y2 * (5.0 / 112.0 + y2 * (35.0 / 1152.0)))))
}

/// Index of a zone in [`Zones`]; small so that profiles stay compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ZoneRef(pub u8);

/// Large cities: name, country, latitude, longitude, IANA zone. A country's first city gives the
/// zone of its online merchants, so the most populous zone comes first.
const CITIES: &[(&str, &str, f64, f64, &str)] = &[
    ("New York", "US", 40.71, -74.01, "America/New_York"),
    ("Boston", "US", 42.36, -71.06, "America/New_York"),
    ("Washington", "US", 38.90, -77.04, "America/New_York"),
    ("Atlanta", "US", 33.75, -84.39, "America/New_York"),
    ("Miami", "US", 25.76, -80.19, "America/New_York"),
    ("Detroit", "US", 42.33, -83.05, "America/Detroit"),
    ("Chicago", "US", 41.88, -87.63, "America/Chicago"),
    ("Houston", "US", 29.76, -95.37, "America/Chicago"),
    ("Dallas", "US", 32.78, -96.80, "America/Chicago"),
    ("Minneapolis", "US", 44.98, -93.27, "America/Chicago"),
    ("New Orleans", "US", 29.95, -90.07, "America/Chicago"),
    ("Denver", "US", 39.74, -104.99, "America/Denver"),
    ("Salt Lake City", "US", 40.76, -111.89, "America/Denver"),
    ("Albuquerque", "US", 35.08, -106.65, "America/Denver"),
    ("Boise", "US", 43.62, -116.21, "America/Boise"),
    ("Phoenix", "US", 33.45, -112.07, "America/Phoenix"),
    ("Los Angeles", "US", 34.05, -118.24, "America/Los_Angeles"),
    ("San Francisco", "US", 37.77, -122.42, "America/Los_Angeles"),
    ("Seattle", "US", 47.61, -122.33, "America/Los_Angeles"),
    ("Las Vegas", "US", 36.17, -115.14, "America/Los_Angeles"),
    ("Anchorage", "US", 61.22, -149.90, "America/Anchorage"),
    ("Honolulu", "US", 21.31, -157.86, "Pacific/Honolulu"),
    ("Toronto", "CA", 43.65, -79.38, "America/Toronto"),
    ("Montreal", "CA", 45.50, -73.57, "America/Toronto"),
    ("Ottawa", "CA", 45.42, -75.70, "America/Toronto"),
    ("Vancouver", "CA", 49.28, -123.12, "America/Vancouver"),
    ("Calgary", "CA", 51.05, -114.07, "America/Edmonton"),
    ("Winnipeg", "CA", 49.90, -97.14, "America/Winnipeg"),
    ("Halifax", "CA", 44.65, -63.57, "America/Halifax"),
    ("Mexico City", "MX", 19.43, -99.13, "America/Mexico_City"),
    ("Guadalajara", "MX", 20.67, -103.35, "America/Mexico_City"),
    ("Monterrey", "MX", 25.69, -100.32, "America/Monterrey"),
    ("Cancun", "MX", 21.16, -86.85, "America/Cancun"),
    ("Tijuana", "MX", 32.51, -117.04, "America/Tijuana"),
    ("Guatemala City", "GT", 14.63, -90.51, "America/Guatemala"),
    ("San Jose", "CR", 9.93, -84.08, "America/Costa_Rica"),
    ("Panama City", "PA", 8.98, -79.52, "America/Panama"),
    ("Havana", "CU", 23.11, -82.37, "America/Havana"),
    (
        "Santo Domingo",
        "DO",
        18.49,
        -69.93,
        "America/Santo_Domingo",
    ),
    ("San Juan", "PR", 18.47, -66.11, "America/Puerto_Rico"),
    ("Kingston", "JM", 18.02, -76.80, "America/Jamaica"),
    ("Bogota", "CO", 4.71, -74.07, "America/Bogota"),
    ("Medellin", "CO", 6.24, -75.58, "America/Bogota"),
    ("Caracas", "VE", 10.48, -66.90, "America/Caracas"),
    ("Quito", "EC", -0.18, -78.47, "America/Guayaquil"),
    ("Lima", "PE", -12.05, -77.04, "America/Lima"),
    ("La Paz", "BO", -16.50, -68.15, "America/La_Paz"),
    ("Santiago", "CL", -33.45, -70.67, "America/Santiago"),
    (
        "Buenos Aires",
        "AR",
        -34.60,
        -58.38,
        "America/Argentina/Buenos_Aires",
    ),
    ("Cordoba", "AR", -31.42, -64.18, "America/Argentina/Cordoba"),
    ("Montevideo", "UY", -34.90, -56.16, "America/Montevideo"),
    ("Asuncion", "PY", -25.26, -57.58, "America/Asuncion"),
    ("Sao Paulo", "BR", -23.55, -46.63, "America/Sao_Paulo"),
    ("Rio de Janeiro", "BR", -22.91, -43.17, "America/Sao_Paulo"),
    ("Brasilia", "BR", -15.79, -47.88, "America/Sao_Paulo"),
    ("Salvador", "BR", -12.97, -38.50, "America/Bahia"),
    ("Manaus", "BR", -3.12, -60.02, "America/Manaus"),
    ("London", "GB", 51.51, -0.13, "Europe/London"),
    ("Manchester", "GB", 53.48, -2.24, "Europe/London"),
    ("Edinburgh", "GB", 55.95, -3.19, "Europe/London"),
    ("Dublin", "IE", 53.35, -6.26, "Europe/Dublin"),
    ("Lisbon", "PT", 38.72, -9.14, "Europe/Lisbon"),
    ("Porto", "PT", 41.15, -8.61, "Europe/Lisbon"),
    ("Madrid", "ES", 40.42, -3.70, "Europe/Madrid"),
    ("Barcelona", "ES", 41.39, 2.17, "Europe/Madrid"),
    ("Seville", "ES", 37.39, -5.98, "Europe/Madrid"),
    ("Canary Islands", "ES", 28.12, -15.43, "Atlantic/Canary"),
    ("Paris", "FR", 48.86, 2.35, "Europe/Paris"),
    ("Lyon", "FR", 45.76, 4.84, "Europe/Paris"),
    ("Marseille", "FR", 43.30, 5.37, "Europe/Paris"),
    ("Brussels", "BE", 50.85, 4.35, "Europe/Brussels"),
    ("Amsterdam", "NL", 52.37, 4.90, "Europe/Amsterdam"),
    ("Luxembourg", "LU", 49.61, 6.13, "Europe/Luxembourg"),
    ("Berlin", "DE", 52.52, 13.40, "Europe/Berlin"),
    ("Hamburg", "DE", 53.55, 9.99, "Europe/Berlin"),
    ("Munich", "DE", 48.14, 11.58, "Europe/Berlin"),
    ("Frankfurt", "DE", 50.11, 8.68, "Europe/Berlin"),
    ("Cologne", "DE", 50.94, 6.96, "Europe/Berlin"),
    ("Zurich", "CH", 47.38, 8.54, "Europe/Zurich"),
    ("Geneva", "CH", 46.20, 6.14, "Europe/Zurich"),
    ("Vienna", "AT", 48.21, 16.37, "Europe/Vienna"),
    ("Rome", "IT", 41.90, 12.50, "Europe/Rome"),
    ("Milan", "IT", 45.46, 9.19, "Europe/Rome"),
    ("Naples", "IT", 40.85, 14.27, "Europe/Rome"),
    ("Copenhagen", "DK", 55.68, 12.57, "Europe/Copenhagen"),
    ("Oslo", "NO", 59.91, 10.75, "Europe/Oslo"),
    ("Stockholm", "SE", 59.33, 18.07, "Europe/Stockholm"),
    ("Helsinki", "FI", 60.17, 24.94, "Europe/Helsinki"),
    ("Reykjavik", "IS", 64.15, -21.94, "Atlantic/Reykjavik"),
    ("Warsaw", "PL", 52.23, 21.01, "Europe/Warsaw"),
    ("Krakow", "PL", 50.06, 19.94, "Europe/Warsaw"),
    ("Prague", "CZ", 50.08, 14.44, "Europe/Prague"),
    ("Budapest", "HU", 47.50, 19.04, "Europe/Budapest"),
    ("Bratislava", "SK", 48.15, 17.11, "Europe/Bratislava"),
    ("Ljubljana", "SI", 46.06, 14.51, "Europe/Ljubljana"),
    ("Zagreb", "HR", 45.81, 15.98, "Europe/Zagreb"),
    ("Belgrade", "RS", 44.79, 20.45, "Europe/Belgrade"),
    ("Bucharest", "RO", 44.43, 26.10, "Europe/Bucharest"),
    ("Sofia", "BG", 42.70, 23.32, "Europe/Sofia"),
    ("Athens", "GR", 37.98, 23.73, "Europe/Athens"),
    ("Istanbul", "TR", 41.01, 28.98, "Europe/Istanbul"),
    ("Ankara", "TR", 39.93, 32.86, "Europe/Istanbul"),
    ("Kyiv", "UA", 50.45, 30.52, "Europe/Kyiv"),
    ("Vilnius", "LT", 54.69, 25.28, "Europe/Vilnius"),
    ("Riga", "LV", 56.95, 24.11, "Europe/Riga"),
    ("Tallinn", "EE", 59.44, 24.75, "Europe/Tallinn"),
    ("Moscow", "RU", 55.76, 37.62, "Europe/Moscow"),
    ("Saint Petersburg", "RU", 59.93, 30.36, "Europe/Moscow"),
    ("Novosibirsk", "RU", 55.03, 82.92, "Asia/Novosibirsk"),
    ("Vladivostok", "RU", 43.12, 131.89, "Asia/Vladivostok"),
    ("Cairo", "EG", 30.04, 31.24, "Africa/Cairo"),
    ("Casablanca", "MA", 33.57, -7.59, "Africa/Casablanca"),
    ("Rabat", "MA", 34.02, -6.83, "Africa/Casablanca"),
    ("Marrakesh", "MA", 31.63, -7.99, "Africa/Casablanca"),
    ("Algiers", "DZ", 36.75, 3.06, "Africa/Algiers"),
    ("Tunis", "TN", 36.81, 10.18, "Africa/Tunis"),
    ("Lagos", "NG", 6.52, 3.38, "Africa/Lagos"),
    ("Abuja", "NG", 9.08, 7.40, "Africa/Lagos"),
    ("Accra", "GH", 5.60, -0.19, "Africa/Accra"),
    ("Dakar", "SN", 14.72, -17.47, "Africa/Dakar"),
    ("Abidjan", "CI", 5.36, -4.01, "Africa/Abidjan"),
    ("Nairobi", "KE", -1.29, 36.82, "Africa/Nairobi"),
    ("Addis Ababa", "ET", 9.03, 38.74, "Africa/Addis_Ababa"),
    ("Dar es Salaam", "TZ", -6.79, 39.21, "Africa/Dar_es_Salaam"),
    ("Kampala", "UG", 0.35, 32.58, "Africa/Kampala"),
    ("Kinshasa", "CD", -4.44, 15.27, "Africa/Kinshasa"),
    ("Luanda", "AO", -8.84, 13.23, "Africa/Luanda"),
    ("Johannesburg", "ZA", -26.20, 28.05, "Africa/Johannesburg"),
    ("Cape Town", "ZA", -33.92, 18.42, "Africa/Johannesburg"),
    ("Durban", "ZA", -29.86, 31.02, "Africa/Johannesburg"),
    ("Dubai", "AE", 25.20, 55.27, "Asia/Dubai"),
    ("Abu Dhabi", "AE", 24.45, 54.38, "Asia/Dubai"),
    ("Doha", "QA", 25.29, 51.53, "Asia/Qatar"),
    ("Riyadh", "SA", 24.71, 46.68, "Asia/Riyadh"),
    ("Jeddah", "SA", 21.49, 39.19, "Asia/Riyadh"),
    ("Kuwait City", "KW", 29.38, 47.99, "Asia/Kuwait"),
    ("Tel Aviv", "IL", 32.09, 34.78, "Asia/Jerusalem"),
    ("Amman", "JO", 31.95, 35.93, "Asia/Amman"),
    ("Beirut", "LB", 33.89, 35.50, "Asia/Beirut"),
    ("Tehran", "IR", 35.69, 51.39, "Asia/Tehran"),
    ("Karachi", "PK", 24.86, 67.01, "Asia/Karachi"),
    ("Lahore", "PK", 31.55, 74.34, "Asia/Karachi"),
    ("Mumbai", "IN", 19.08, 72.88, "Asia/Kolkata"),
    ("Delhi", "IN", 28.70, 77.10, "Asia/Kolkata"),
    ("Bangalore", "IN", 12.97, 77.59, "Asia/Kolkata"),
    ("Chennai", "IN", 13.08, 80.27, "Asia/Kolkata"),
    ("Kolkata", "IN", 22.57, 88.36, "Asia/Kolkata"),
    ("Colombo", "LK", 6.93, 79.86, "Asia/Colombo"),
    ("Kathmandu", "NP", 27.72, 85.32, "Asia/Kathmandu"),
    ("Dhaka", "BD", 23.81, 90.41, "Asia/Dhaka"),
    ("Almaty", "KZ", 43.24, 76.89, "Asia/Almaty"),
    ("Tashkent", "UZ", 41.30, 69.24, "Asia/Tashkent"),
    ("Bangkok", "TH", 13.76, 100.50, "Asia/Bangkok"),
    ("Phuket", "TH", 7.88, 98.39, "Asia/Bangkok"),
    ("Hanoi", "VN", 21.03, 105.85, "Asia/Bangkok"),
    ("Ho Chi Minh City", "VN", 10.82, 106.63, "Asia/Ho_Chi_Minh"),
    ("Kuala Lumpur", "MY", 3.139, 101.687, "Asia/Kuala_Lumpur"),
    ("Singapore", "SG", 1.35, 103.82, "Asia/Singapore"),
    ("Jakarta", "ID", -6.21, 106.85, "Asia/Jakarta"),
    ("Bali", "ID", -8.65, 115.22, "Asia/Makassar"),
    ("Manila", "PH", 14.60, 120.98, "Asia/Manila"),
    ("Hong Kong", "HK", 22.32, 114.17, "Asia/Hong_Kong"),
    ("Macau", "MO", 22.20, 113.54, "Asia/Macau"),
    ("Taipei", "TW", 25.03, 121.57, "Asia/Taipei"),
    ("Shanghai", "CN", 31.23, 121.47, "Asia/Shanghai"),
    ("Beijing", "CN", 39.90, 116.41, "Asia/Shanghai"),
    ("Guangzhou", "CN", 23.13, 113.26, "Asia/Shanghai"),
    ("Shenzhen", "CN", 22.54, 114.06, "Asia/Shanghai"),
    ("Chengdu", "CN", 30.57, 104.07, "Asia/Shanghai"),
    ("Urumqi", "CN", 43.83, 87.62, "Asia/Urumqi"),
    ("Ulaanbaatar", "MN", 47.89, 106.91, "Asia/Ulaanbaatar"),
    ("Seoul", "KR", 37.57, 126.98, "Asia/Seoul"),
    ("Busan", "KR", 35.18, 129.08, "Asia/Seoul"),
    ("Tokyo", "JP", 35.68, 139.69, "Asia/Tokyo"),
    ("Osaka", "JP", 34.69, 135.50, "Asia/Tokyo"),
    ("Sapporo", "JP", 43.06, 141.35, "Asia/Tokyo"),
    ("Fukuoka", "JP", 33.59, 130.40, "Asia/Tokyo"),
    ("Sydney", "AU", -33.87, 151.21, "Australia/Sydney"),
    ("Melbourne", "AU", -37.81, 144.96, "Australia/Melbourne"),
    ("Brisbane", "AU", -27.47, 153.03, "Australia/Brisbane"),
    ("Adelaide", "AU", -34.93, 138.60, "Australia/Adelaide"),
    ("Perth", "AU", -31.95, 115.86, "Australia/Perth"),
    ("Darwin", "AU", -12.46, 130.84, "Australia/Darwin"),
    ("Auckland", "NZ", -36.85, 174.76, "Pacific/Auckland"),
    ("Wellington", "NZ", -41.29, 174.78, "Pacific/Auckland"),
    ("Fiji", "FJ", -18.14, 178.44, "Pacific/Fiji"),
];

/// Solar offsets −12 h … +14 h for points far from every listed city.
const SOLAR_OFFSETS: std::ops::RangeInclusive<i8> = -12..=14;
/// Names of the solar offsets, in the same order.
const SOLAR_NAMES: [&str; 27] = [
    "UTC-12", "UTC-11", "UTC-10", "UTC-9", "UTC-8", "UTC-7", "UTC-6", "UTC-5", "UTC-4", "UTC-3",
    "UTC-2", "UTC-1", "UTC+0", "UTC+1", "UTC+2", "UTC+3", "UTC+4", "UTC+5", "UTC+6", "UTC+7",
    "UTC+8", "UTC+9", "UTC+10", "UTC+11", "UTC+12", "UTC+13", "UTC+14",
];

/// The embedded city table resolved into time zones.
#[derive(Debug, Clone)]
pub struct Zones {
    zones: Vec<TimeZone>,
    names: Vec<&'static str>,
    /// Per city: its position and zone.
    cities: Vec<(GeoPoint, ZoneRef, &'static str)>,
    /// Country → zone of its first city.
    by_country: Vec<(Country, ZoneRef)>,
    /// Per zone, the last offset looked up and the span of time it holds for.
    offsets: Vec<Cell<CachedOffset>>,
}

/// An offset valid for `from <= t < until` (seconds since the epoch).
#[derive(Debug, Clone, Copy, Default)]
struct CachedOffset {
    from: i64,
    until: i64,
    seconds: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time zone {name:?} in the embedded city table is unknown to the time-zone database")]
pub struct UnknownZone {
    pub name: String,
}

impl Zones {
    /// Resolves the embedded table against jiff's bundled time-zone database.
    pub fn embedded() -> Result<Self, UnknownZone> {
        let mut zones = Vec::new();
        let mut names: Vec<&'static str> = Vec::new();
        for (hours, name) in SOLAR_OFFSETS.zip(SOLAR_NAMES) {
            zones.push(TimeZone::fixed(Offset::constant(hours)));
            names.push(name);
        }
        let mut cities = Vec::with_capacity(CITIES.len());
        let mut by_country: Vec<(Country, ZoneRef)> = Vec::new();
        for &(city, country, lat, lon, zone_name) in CITIES {
            let index = match names.iter().position(|n| *n == zone_name) {
                Some(i) => i,
                None => {
                    let zone = TimeZone::get(zone_name).map_err(|_| UnknownZone {
                        name: zone_name.to_owned(),
                    })?;
                    zones.push(zone);
                    names.push(zone_name);
                    zones.len() - 1
                }
            };
            let zone = ZoneRef(u8::try_from(index).unwrap_or(u8::MAX));
            cities.push((GeoPoint { lat, lon }, zone, city));
            if let Ok(country) = Country::parse(country)
                && !by_country.iter().any(|(c, _)| *c == country)
            {
                by_country.push((country, zone));
            }
        }
        if zones.len() > usize::from(u8::MAX) {
            return Err(UnknownZone {
                name: format!("more than {} zones in the city table", u8::MAX),
            });
        }
        Ok(Self {
            offsets: vec![Cell::new(CachedOffset::default()); zones.len()],
            zones,
            names,
            cities,
            by_country,
        })
    }

    /// The zone at a position: nearest listed city, else the longitude's solar offset.
    pub fn at(&self, point: GeoPoint) -> ZoneRef {
        self.nearest_city(point)
            .map(|(zone, _)| zone)
            .unwrap_or_else(|| self.solar(point.lon))
    }

    /// The nearest listed city within reach, with its zone.
    pub fn nearest_city(&self, point: GeoPoint) -> Option<(ZoneRef, &'static str)> {
        let (mut best, mut best_km) = (None, NEAREST_CITY_MAX_KM);
        for &(city_point, zone, name) in &self.cities {
            // Cheap rejection before the exact distance.
            if (city_point.lat - point.lat).abs() * 111.0 > best_km {
                continue;
            }
            let km = city_point.distance_km(point);
            if km < best_km {
                best_km = km;
                best = Some((zone, name));
            }
        }
        best
    }

    /// The zone of a country's online merchants, when the table lists the country.
    pub fn of_country(&self, country: Country) -> Option<ZoneRef> {
        self.by_country
            .iter()
            .find(|(c, _)| *c == country)
            .map(|&(_, zone)| zone)
    }

    fn solar(&self, lon: f64) -> ZoneRef {
        let hours = (lon / 15.0).round().clamp(-12.0, 12.0) as i16;
        ZoneRef((hours - i16::from(*SOLAR_OFFSETS.start())) as u8)
    }

    /// UTC offset in seconds of a zone at an instant. Cached until the zone's next transition,
    /// since consecutive authorizations mostly fall between the same two transitions.
    pub fn offset_seconds(&self, zone: ZoneRef, at: Timestamp) -> i32 {
        let (Some(tz), Some(cache)) = (
            self.zones.get(usize::from(zone.0)),
            self.offsets.get(usize::from(zone.0)),
        ) else {
            return 0;
        };
        let t = at.as_second();
        let cached = cache.get();
        if cached.from <= t && t < cached.until {
            return cached.seconds;
        }
        let seconds = tz.to_offset(at).seconds();
        let until = tz
            .following(at)
            .next()
            .map_or(i64::MAX, |next| next.timestamp().as_second());
        cache.set(CachedOffset {
            from: t,
            until,
            seconds,
        });
        seconds
    }

    /// Local time of day in hours (0.0 ≤ h < 24.0) at a UTC offset (from
    /// [`Zones::offset_seconds`], looked up once per zone and decision).
    pub fn local_hour(offset_seconds: i32, at: Timestamp) -> f32 {
        let local = at.as_second() + i64::from(offset_seconds);
        local.rem_euclid(86_400) as f32 / 3600.0
    }

    pub fn name(&self, zone: ZoneRef) -> &'static str {
        self.names
            .get(usize::from(zone.0))
            .copied()
            .unwrap_or("UTC")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    /// The textbook haversine, for comparison.
    fn local_hour(zones: &Zones, zone: ZoneRef, at: Timestamp) -> f32 {
        Zones::local_hour(zones.offset_seconds(zone, at), at)
    }

    fn haversine(a: GeoPoint, b: GeoPoint) -> f64 {
        let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
        let h = ((la2 - la1) / 2.0).sin().powi(2)
            + la1.cos() * la2.cos() * ((b.lon - a.lon).to_radians() / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }

    #[test]
    fn nearby_distances_match_the_haversine() {
        let mut worst = 0.0f64;
        for i in 0..20_000 {
            let f = f64::from(i);
            let a = p((f * 0.618).sin() * 89.0, (f * 0.377).cos() * 179.0);
            // Offsets from a metre to about 600 km, inside and just outside the series' range.
            let scale = 10f64.powf(-5.0 + 4.0 * (f * 0.131).sin().abs());
            let b = p(
                (a.lat + scale * (f * 0.71).sin() * 57.3).clamp(-90.0, 90.0),
                (a.lon + scale * (f * 0.53).cos() * 57.3 + 180.0).rem_euclid(360.0) - 180.0,
            );
            let exact = haversine(a, b);
            let error = (a.distance_km(b) - exact).abs();
            worst = worst.max(error / exact.max(1e-3));
            assert!(
                error < 1e-6 + 1e-9 * exact,
                "{a} {b}: {} vs {exact}",
                a.distance_km(b)
            );
        }
        assert!(worst < 1e-9, "{worst}");
    }

    #[test]
    fn distances_match_known_routes() {
        let toronto = p(43.65, -79.38);
        let paris = p(48.86, 2.35);
        let km = toronto.distance_km(paris);
        assert!((km - 6010.0).abs() < 40.0, "{km}");
        assert_eq!(toronto.distance_km(toronto), 0.0);
        let sydney = p(-33.87, 151.21);
        let london = p(51.51, -0.13);
        assert!((sydney.distance_km(london) - 16_990.0).abs() < 60.0);
    }

    #[test]
    fn zones_come_from_the_nearest_city_or_the_country() {
        let zones = Zones::embedded().unwrap();
        let at: Timestamp = "2024-01-15T12:00:00Z".parse().unwrap();
        let toronto_suburb = zones.at(p(43.80, -79.20));
        assert_eq!(zones.name(toronto_suburb), "America/Toronto");
        assert_eq!(local_hour(&zones, toronto_suburb, at), 7.0);
        let tokyo = zones.of_country(Country::parse("JP").unwrap()).unwrap();
        assert_eq!(local_hour(&zones, tokyo, at), 21.0);
        // Mid-Pacific: solar offset of the longitude.
        let ocean = zones.at(p(-40.0, -130.0));
        assert_eq!(zones.name(ocean), "UTC-9");
        assert!(zones.of_country(Country::parse("AQ").unwrap()).is_none());
    }

    #[test]
    fn summer_time_is_applied_across_the_cache() {
        let zones = Zones::embedded().unwrap();
        let london = zones.of_country(Country::parse("GB").unwrap()).unwrap();
        let hour = |t: &str| local_hour(&zones, london, t.parse().unwrap());
        // Around the switch to summer time (2024-03-31 01:00 UTC), in and out of order.
        assert_eq!(hour("2024-03-31T00:30:00Z"), 0.5);
        assert_eq!(hour("2024-03-31T01:30:00Z"), 2.5);
        assert_eq!(hour("2024-03-31T00:59:59Z"), 0.0 + 3599.0 / 3600.0);
        assert_eq!(hour("2024-07-01T12:00:00Z"), 13.0);
        assert_eq!(hour("2024-12-01T12:00:00Z"), 12.0);
        assert_eq!(hour("2024-07-01T12:00:00Z"), 13.0);
    }

    #[test]
    fn solar_zone_names_match_their_offsets() {
        for (hours, name) in SOLAR_OFFSETS.zip(SOLAR_NAMES) {
            assert_eq!(name, format!("UTC{hours:+}"));
        }
        assert_eq!(SOLAR_OFFSETS.count(), SOLAR_NAMES.len());
    }

    #[test]
    fn rejects_impossible_coordinates() {
        assert!(GeoPoint::new(91.0, 0.0).is_err());
        assert!(GeoPoint::new(0.0, 180.5).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
    }
}
