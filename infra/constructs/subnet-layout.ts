import { Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** Most Availability Zones the layout has room for (MAX_AZS is 2 or 3). */
export const LAYOUT_AZ_SLOTS = 3;

/**
 * Where each subnet group lives inside the VPC's /16, per AZ index: the third octet of the
 * subnet's first address, its mask, and its IPv6 /64 slot. AZ 0 and 1 are exactly where the
 * default CDK allocation put them for two AZs (so two-AZ networks keep every subnet); AZ 2 uses
 * space that two-AZ networks leave free. A subnet's address therefore never depends on how many
 * AZs there are: growing MAX_AZS only adds subnets.
 */
export const SUBNET_SLOTS: Readonly<Record<string, { mask: number; thirdOctets: readonly number[]; ipv6Slots: readonly number[] }>> = {
  public: { mask: 22, thirdOctets: [0, 4, 8], ipv6Slots: [0, 1, 6] },
  private: { mask: 20, thirdOctets: [16, 32, 64], ipv6Slots: [2, 3, 7] },
  isolated: { mask: 24, thirdOctets: [48, 49, 50], ipv6Slots: [4, 5, 8] },
};

/** IPv6 /64 blocks cut from the VPC's /56: two-AZ subnets keep the 6-way split they always had. */
const ipv6Count = (slot: number) => (slot < 6 ? 6 : 9);

/**
 * IPv4 and IPv6 allocation with fixed places per (subnet group, AZ index), for a VPC of
 * `cidr` (a /16). Pass it as both `ipAddresses` and `ipv6Addresses` of the Vpc.
 */
export class StableSubnetLayout implements ec2.IIpAddresses, ec2.IIpv6Addresses {
  readonly amazonProvided = true;
  private readonly base: number[];
  private readonly ipv6SlotByCidr = new Map<string, number>();
  private ipv6VpcCidr?: string;

  constructor(private readonly cidr: string) {
    const m = /^(\d+)\.(\d+)\.0\.0\/16$/.exec(cidr);
    if (!m) throw new Error(`StableSubnetLayout needs a /16 such as 10.40.0.0/16, got ${cidr}`);
    this.base = [Number(m[1]), Number(m[2])];
  }

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.cidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    const azIndex = new Map<string, number>();
    for (const s of input.requestedSubnets) if (!azIndex.has(s.availabilityZone)) azIndex.set(s.availabilityZone, azIndex.size);
    const allocatedSubnets = input.requestedSubnets.map((s) => {
      const slots = SUBNET_SLOTS[s.configuration.name];
      const az = azIndex.get(s.availabilityZone)!;
      if (!slots) throw new Error(`subnet group ${s.configuration.name} has no place in the layout (${Object.keys(SUBNET_SLOTS).join(', ')})`);
      if (s.configuration.cidrMask !== slots.mask) throw new Error(`subnet group ${s.configuration.name} must be a /${slots.mask}`);
      if (az >= LAYOUT_AZ_SLOTS) throw new Error(`the subnet layout has room for ${LAYOUT_AZ_SLOTS} Availability Zones`);
      const cidr = `${this.base[0]}.${this.base[1]}.${slots.thirdOctets[az]}.0/${slots.mask}`;
      this.ipv6SlotByCidr.set(cidr, slots.ipv6Slots[az]!);
      return { cidr };
    });
    return { allocatedSubnets };
  }

  allocateVpcIpv6Cidr(input: ec2.AllocateVpcIpv6CidrRequest): ec2.CfnVPCCidrBlock {
    return ec2.Ipv6Addresses.amazonProvided().allocateVpcIpv6Cidr(input);
  }

  createIpv6CidrBlocks(input: ec2.CreateIpv6CidrBlocksRequest): string[] {
    this.ipv6VpcCidr = input.ipv6SelectedCidr;
    return [];
  }

  allocateSubnetsIpv6Cidr(input: ec2.AllocateIpv6CidrRequest): ec2.SubnetIpamOptions {
    const vpcBlock = this.ipv6VpcCidr;
    if (!vpcBlock) throw new Error('createIpv6CidrBlocks must run before allocateSubnetsIpv6Cidr');
    return {
      allocatedSubnets: input.allocatedSubnets.map((s) => {
        const slot = this.ipv6SlotByCidr.get(s.cidr);
        if (slot === undefined) throw new Error(`no IPv6 slot for subnet ${s.cidr}`);
        return { cidr: s.cidr, ipv6Cidr: Fn.select(slot, Fn.cidr(vpcBlock, ipv6Count(slot), '64')) };
      }),
    };
  }
}
