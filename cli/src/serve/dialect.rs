//! What differs between the two providers' APIs, as data: header prefixes, bucket naming,
//! part sizes. Handlers read it from here instead of testing the profile.

use corsmatch::Profile;

/// One provider's API conventions.
#[derive(Debug)]
pub struct Dialect {
    pub profile: Profile,
    /// `x-amz-` or `x-oss-`: the prefix of the provider's own headers.
    pub prefix: &'static str,
    /// User metadata headers.
    pub meta_prefix: &'static str,
    /// The canned ACL header of CreateBucket, PutObject and `?acl`.
    pub acl_header: &'static str,
    /// The response header naming the request.
    pub request_id_header: &'static str,
    /// Multipart parts other than the last must be at least this long (S3 5 MiB, OSS 100 KiB).
    pub min_part_size: usize,
    /// What an object's ACL is when it was given none: S3 objects are private, OSS objects
    /// follow their bucket (`default`).
    pub object_acl_inherits: bool,
    /// The root element namespace of the provider's XML answers.
    pub namespace: &'static str,
    /// User metadata per object, names (without the prefix) and values (S3 2 KB, OSS 8 KB).
    pub max_metadata_bytes: usize,
}

pub const S3: Dialect = Dialect {
    profile: Profile::S3,
    prefix: "x-amz-",
    meta_prefix: "x-amz-meta-",
    acl_header: "x-amz-acl",
    request_id_header: "x-amz-request-id",
    min_part_size: 5 << 20,
    object_acl_inherits: false,
    namespace: "http://s3.amazonaws.com/doc/2006-03-01/",
    max_metadata_bytes: 2 << 10,
};

pub const OSS: Dialect = Dialect {
    profile: Profile::Oss,
    prefix: "x-oss-",
    meta_prefix: "x-oss-meta-",
    acl_header: "x-oss-object-acl",
    request_id_header: "x-oss-request-id",
    min_part_size: 100 << 10,
    object_acl_inherits: true,
    namespace: "http://doc.oss-cn-hangzhou.aliyuncs.com",
    max_metadata_bytes: 8 << 10,
};

impl Dialect {
    pub fn of(profile: Profile) -> &'static Dialect {
        match profile {
            Profile::S3 => &S3,
            Profile::Oss => &OSS,
        }
    }

    pub fn oss(&self) -> bool {
        self.profile == Profile::Oss
    }

    /// The ACL header of a bucket request (`x-oss-acl` on OSS buckets, `x-oss-object-acl` on
    /// its objects; S3 uses `x-amz-acl` for both).
    pub fn acl_header_for(&self, object: bool) -> &'static str {
        match (self.profile, object) {
            (Profile::Oss, false) => "x-oss-acl",
            _ => self.acl_header,
        }
    }

    /// The provider's bucket naming rules.
    /// - both: 3 to 63 characters of lowercase letters, digits and hyphens, starting and
    ///   ending with a letter or digit;
    /// - S3 also allows dots (not two in a row, not next to a hyphen), but not a name shaped
    ///   like an IP address, nor the prefixes `xn--`, `sthree-`, `amzn-s3-demo-` or the
    ///   suffixes `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`.
    pub fn valid_bucket_name(&self, name: &str) -> bool {
        let b = name.as_bytes();
        if !(3..=63).contains(&b.len()) {
            return false;
        }
        let dots = !self.oss();
        let edge_ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        if !edge_ok(b[0]) || !edge_ok(b[b.len() - 1]) {
            return false;
        }
        if !b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || (dots && c == b'.')) {
            return false;
        }
        if self.oss() {
            return true;
        }
        if name.contains("..") || name.contains(".-") || name.contains("-.") {
            return false;
        }
        if name.split('.').count() == 4
            && name.split('.').all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        {
            return false;
        }
        let bad_prefix = ["xn--", "sthree-", "amzn-s3-demo-"].iter().any(|p| name.starts_with(p));
        let bad_suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3"].iter().any(|s| name.ends_with(s));
        !(bad_prefix || bad_suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket", "a1b2", &"a".repeat(63)] {
            assert!(S3.valid_bucket_name(ok), "{ok}");
            assert!(OSS.valid_bucket_name(ok), "{ok}");
        }
        for bad in ["ab", "ABC", "-abc", "abc-", "a_b", "", &"a".repeat(64), "_corsmatch"] {
            assert!(!S3.valid_bucket_name(bad), "{bad}");
            assert!(!OSS.valid_bucket_name(bad), "{bad}");
        }
        assert!(S3.valid_bucket_name("my.bucket"));
        assert!(!OSS.valid_bucket_name("my.bucket"));
        for bad in ["a..b", "a.-b", "192.168.5.4", "xn--abc", "abc-s3alias"] {
            assert!(!S3.valid_bucket_name(bad), "{bad}");
        }
    }
}
