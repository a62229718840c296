#include "core/crypto.hpp"
#include "core/e164.hpp"
#include "core/exit_codes.hpp"
#include "core/ids.hpp"
#include "core/mask.hpp"
#include "core/master_key.hpp"
#include "core/money.hpp"
#include "core/units.hpp"

#include <gtest/gtest.h>

using namespace crm;

TEST(Money, ExactProductRoundsHalfUp) {
  // billing.md rule 1: a double gives 3.62.
  auto a = Decimal::parse("0.145"), b = Decimal::parse("25");
  ASSERT_TRUE(a && b);
  Decimal p = *a * *b;
  EXPECT_EQ(p.to_string(), "3.625");
  EXPECT_EQ(p.to_string(2), "3.63");
  EXPECT_EQ((-p).to_string(2), "-3.63");
}

TEST(Money, ParsesAndAddsWithoutDrift) {
  Decimal sum;
  auto cent = Decimal::parse("0.1");
  for (int i = 0; i < 10; ++i)
    sum = sum + *cent;
  EXPECT_EQ(sum, Decimal::from_int(1));
  EXPECT_EQ(Decimal::parse("+2.50")->to_string(2), "2.50");
  EXPECT_EQ(Decimal::parse("13.58")->to_string(), "13.58");
  EXPECT_EQ(Decimal::parse("-0.005")->round_half_up(2).to_string(2), "-0.01");
  EXPECT_LT(*Decimal::parse("1.99"), *Decimal::parse("2"));
}

TEST(Money, RejectsNonDecimalText) {
  for (const char* bad : {"", "1e3", "1,000", "abc", "1.2.3", "-", "NaN"}) {
    auto r = Decimal::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::usage);
    }
  }
}

TEST(E164, AcceptsAndRejects) {
  EXPECT_TRUE(is_e164("+14155550100"));
  EXPECT_TRUE(is_e164("+4420794600"));
  EXPECT_FALSE(is_e164("14155550100"));
  EXPECT_FALSE(is_e164("+04155550100"));
  EXPECT_FALSE(is_e164("+1415"));
  EXPECT_FALSE(is_e164("+1234567890123456"));
  EXPECT_FALSE(is_e164("+1415555010a"));
  auto r = parse_e164("555-0100");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("E.164"), std::string::npos);
}

TEST(Ids, UuidV4Shape) {
  std::string u = uuid_v4();
  EXPECT_TRUE(is_uuid(u));
  EXPECT_EQ(u[14], '4');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  EXPECT_NE(uuid_v4(), u);
  EXPECT_FALSE(is_uuid("not-a-uuid"));
}

TEST(Ids, Slugify) {
  EXPECT_EQ(slugify("Serenity MedSpa"), "serenity-medspa");
  EXPECT_EQ(slugify("  O'Brien & Sons — Café  "), "o-brien-sons-cafe");
  EXPECT_EQ(slugify("'; DROP TABLE organizations; --"), "drop-table-organizations");
  EXPECT_EQ(slugify("🦷🦷"), "");
  EXPECT_LE(slugify(std::string(300, 'a')).size(), 63u);
  EXPECT_TRUE(is_valid_slug("acme-2"));
  EXPECT_FALSE(is_valid_slug("-acme"));
  EXPECT_FALSE(is_valid_slug("Acme"));
}

TEST(Crypto, Sha256KnownAnswer) {
  EXPECT_EQ(crypto::hex(crypto::sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(crypto::hex(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacSha1TwilioVector) {
  // Public vector from twilio-python's tests (providers.md).
  std::string data = "https://mycompany.com/myapp.php?foo=1&bar=2"
                     "CallSidCA1234567890ABCDECaller+14158675309Digits1234"
                     "From+14158675309To+18005551212";
  EXPECT_EQ(crypto::base64_encode(crypto::hmac_sha1("12345", data)),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST(Crypto, AesGcmNistVectorAndRoundTrip) {
  // NIST GCM test case 2: zero key, zero IV, 16 zero bytes.
  std::string key(32, '\0'), iv(12, '\0'), pt(16, '\0');
  auto s = crypto::aes256gcm_encrypt_with_nonce(key, iv, pt);
  ASSERT_TRUE(s);
  EXPECT_EQ(crypto::hex(s->ciphertext), "cea7403d4d606b6e074ec5d3baf39d18");
  EXPECT_EQ(crypto::hex(s->tag), "d0d1c8a799996bf0265b98b5d48ab919");
  auto k = crypto::random_bytes(32);
  auto sealed = crypto::aes256gcm_encrypt(k, "auth-token-123", "org:1");
  ASSERT_TRUE(sealed);
  auto back = crypto::aes256gcm_decrypt(k, *sealed, "org:1");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "auth-token-123");
}

TEST(Crypto, AesGcmRejectsWrongKeyTamperAndAad) {
  auto k = crypto::random_bytes(32);
  auto sealed = *crypto::aes256gcm_encrypt(k, "secret", "a");
  EXPECT_FALSE(crypto::aes256gcm_decrypt(crypto::random_bytes(32), sealed, "a"));
  EXPECT_FALSE(crypto::aes256gcm_decrypt(k, sealed, "b"));
  auto t = sealed;
  t.ciphertext[0] ^= 1;
  auto r = crypto::aes256gcm_decrypt(k, t, "a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::config);
}

TEST(Crypto, Base64RoundTripAndErrors) {
  EXPECT_EQ(crypto::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(*crypto::base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(*crypto::base64_decode("Zm9vYg"), "foob");
  EXPECT_FALSE(crypto::base64_decode("Zm9v!"));
  EXPECT_EQ(crypto::base64url_encode("\xfb\xff"), "-_8");
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(crypto::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(crypto::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(crypto::constant_time_equal("abc", "ab"));
}

TEST(Crypto, BcryptKnownVectorAndRoundTrip) {
  // Openwall crypt_blowfish test vector.
  EXPECT_TRUE(
      crypto::bcrypt_verify("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  auto h = crypto::bcrypt_hash("correct horse", 4);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$2b$04$", 0), 0u);
  EXPECT_EQ(h->size(), 60u);
  EXPECT_TRUE(crypto::bcrypt_verify("correct horse", *h));
  EXPECT_FALSE(crypto::bcrypt_verify("correct horsE", *h));
  EXPECT_FALSE(crypto::bcrypt_hash(std::string(73, 'x')));
}

TEST(Mask, SecretsAndUrls) {
  EXPECT_EQ(mask_secret("sk_live_abcdefgh1234"), "sk_\u20261234");
  EXPECT_EQ(mask_secret("AC0123456789abcdef0123456789abcdef"), "AC\u2026cdef");
  EXPECT_EQ(mask_secret("short"), "****");
  EXPECT_EQ(mask_url_password("postgresql://app:s3cr3t@db:5432/crm"),
            "postgresql://app:****@db:5432/crm");
  EXPECT_EQ(mask_url_password("host=db password=hunter2 user=x"), "host=db password=**** user=x");
  Redactor r;
  r.add("tok_verysecretvalue99");
  EXPECT_EQ(r.redact("calling with tok_verysecretvalue99 now"), "calling with tok_\u2026ue99 now");
}

TEST(Units, DurationsAndSizes) {
  EXPECT_EQ(parse_duration("3s")->count(), 3000);
  EXPECT_EQ(parse_duration("500ms")->count(), 500);
  EXPECT_EQ(parse_duration("90d")->count(), 90LL * 86'400'000);
  EXPECT_FALSE(parse_duration("3 s"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_EQ(*parse_size("1MiB"), 1u << 20);
  EXPECT_FALSE(parse_size("1XB"));
}

TEST(ExitCodes, DocumentedMapping) {
  EXPECT_EQ(exit_code_for(ErrorKind::usage), 2);
  EXPECT_EQ(exit_code_for(ErrorKind::not_found), 3);
  EXPECT_EQ(exit_code_for(ErrorKind::conflict), 4);
  EXPECT_EQ(exit_code_for(ErrorKind::findings), 5);
  EXPECT_EQ(exit_code_for(ErrorKind::upstream), 6);
  EXPECT_EQ(exit_code_for(ErrorKind::db_unavailable), 7);
  EXPECT_EQ(exit_code_for(ErrorKind::partial), 8);
  EXPECT_EQ(exit_code_for(ErrorKind::config), 10);
  EXPECT_EQ(exit_code_for(ErrorKind::interrupted), 130);
  EXPECT_EQ(kind_name(ErrorKind::db_unavailable), "db_unavailable");
}

TEST(MasterKey, DecodesAndRejects) {
  std::string b64 = crypto::base64_encode(std::string(32, 'k'));
  auto k = master_key_from_base64(b64 + "\n", "test");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->bytes.size(), 32u);
  EXPECT_EQ(k->id.size(), 9u);
  auto bad = master_key_from_base64(crypto::base64_encode("short"), "test");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::config);
  Settings s;
  auto none = load_master_key(s, env_from_map({}));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("CRMCTL_MASTER_KEY"), std::string::npos);
}
